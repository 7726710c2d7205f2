// The mine map: an SVG plan view (x east, y north, metres) of the twin's zones, with people and
// machines as dots that move when ``asset.position`` events arrive on the stream.

import { api } from "./api.js";
import { definitionList, el, timeOf } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
const PAD_M = 40;

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** Plan-view point of a mine-grid point: north up (SVG y grows down). */
const plan = ([x, y]) => [x, -y];

function activate(node, handler) {
  node.setAttribute("tabindex", "0");
  node.setAttribute("role", "button");
  node.addEventListener("click", handler);
  node.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      handler();
    }
  });
}

export class MapView {
  constructor() {
    this.root = document.getElementById("map");
    this.detail = document.getElementById("map-detail");
    this.zones = new Map();
    this.assets = new Map();
    this.selected = null;
  }

  async load() {
    const [zones, assets] = await Promise.all([api.get("/zones"), api.get("/assets")]);
    this.zones = new Map(zones.map((zone) => [zone.id, zone]));
    this.assets = new Map(assets.map((asset) => [asset.id, asset]));
    this.draw();
  }

  onEvent(event) {
    if (event.type !== "asset.position") return;
    const { asset_id: id, x, y, z, zone_id: zoneId, t } = event.data;
    const asset = this.assets.get(id) ?? { id, kind: "person", name: id, crew: null, state: {} };
    Object.assign(asset, { x, y, z, zone_id: zoneId, updated_at: t });
    this.assets.set(id, asset);
    this.placeDot(asset);
    if (this.selected === `asset:${id}`) this.showAsset(asset, false);
  }

  draw() {
    const points = [...this.zones.values()].flatMap((zone) => zone.path.points.map(plan));
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const [x0, y0] = [Math.min(...xs) - PAD_M, Math.min(...ys) - PAD_M];
    const [w, h] = [Math.max(...xs) - x0 + PAD_M, Math.max(...ys) - y0 + PAD_M];
    this.root.setAttribute("viewBox", `${x0} ${y0} ${w} ${h}`);
    this.zoneLayer = svg("g", { class: "zones" });
    this.assetLayer = svg("g", { class: "assets" });
    for (const zone of this.zones.values()) this.zoneLayer.append(this.zoneShape(zone));
    this.root.replaceChildren(this.zoneLayer, this.assetLayer);
    for (const asset of this.assets.values()) this.placeDot(asset);
  }

  zoneShape(zone) {
    const points = zone.path.points.map(plan);
    const group = svg(
      "g",
      { class: `zone kind-${zone.kind}${zone.danger ? " danger" : ""}`, "data-zone-id": zone.id },
      svg("title", {}, `${zone.name} (${zone.kind})`),
    );
    group.setAttribute("aria-label", `Zone ${zone.name}, ${zone.kind}${zone.danger ? ", danger zone" : ""}`);
    const spread = Math.hypot(points.at(-1)[0] - points[0][0], points.at(-1)[1] - points[0][1]);
    if (points.length === 1 || spread < 1) {
      group.append(svg("circle", { cx: points[0][0], cy: points[0][1], r: 9, class: "shaft" })); // vertical: a point in plan
    } else {
      group.append(svg("polyline", { points: points.map((p) => p.join(",")).join(" ") }));
    }
    const [lx, ly] = points[Math.floor(points.length / 2)] ?? points[0];
    group.append(svg("text", { x: lx + 6, y: ly - 8 }, zone.name));
    activate(group, () => this.showZone(zone));
    return group;
  }

  placeDot(asset) {
    if (asset.x === null || asset.x === undefined || !this.assetLayer) return;
    const [cx, cy] = plan([asset.x, asset.y]);
    let dot = this.assetLayer.querySelector(`[data-asset-id="${CSS.escape(asset.id)}"]`);
    if (!dot) {
      const shape = asset.kind === "person" ? svg("circle", { r: 7 }) : svg("rect", { width: 14, height: 14 });
      dot = svg("g", { class: `dot ${asset.kind}`, "data-asset-id": asset.id }, svg("title", {}, asset.name), shape);
      dot.setAttribute("aria-label", `${asset.kind} ${asset.name}`);
      activate(dot, () => this.showAsset(this.assets.get(asset.id)));
      this.assetLayer.append(dot);
    }
    const shape = dot.lastChild;
    if (shape.tagName === "circle") {
      shape.setAttribute("cx", cx);
      shape.setAttribute("cy", cy);
    } else {
      shape.setAttribute("x", cx - 7);
      shape.setAttribute("y", cy - 7);
    }
    dot.dataset.x = String(asset.x);
    dot.dataset.y = String(asset.y);
    dot.dataset.zone = asset.zone_id ?? "";
  }

  showZone(zone) {
    this.selected = `zone:${zone.id}`;
    const here = [...this.assets.values()].filter((asset) => asset.zone_id === zone.id);
    this.detail.replaceChildren(
      el("h3", {}, zone.name),
      definitionList([
        ["Zone id", zone.id],
        ["Kind", zone.kind],
        ["Danger zone", zone.danger ? "yes" : "no"],
        ["Staff limit", zone.staff_limit],
        ["Length", `${zone.length_m.toFixed(0)} m`],
        ["Location", zone.location_name],
        ["Procedure", zone.operating_procedure_id],
      ]),
      el("h4", {}, `Here now (${here.length})`),
      el("ul", {}, here.map((asset) => el("li", {}, `${asset.name} (${asset.kind})`))),
    );
    this.detail.focus();
  }

  showAsset(asset, focus = true) {
    this.selected = `asset:${asset.id}`;
    const position = asset.x === null ? "no fix yet" : `${asset.x.toFixed(1)}, ${asset.y.toFixed(1)}, ${asset.z.toFixed(1)} m`;
    this.detail.replaceChildren(
      el("h3", {}, asset.name),
      definitionList([
        ["Id", asset.id],
        ["Kind", asset.kind],
        ["Crew", asset.crew],
        ["Zone", asset.zone_id],
        ["Position (x, y, z)", position],
        ["Last update", timeOf(asset.updated_at)],
      ]),
    );
    if (focus) this.detail.focus();
  }
}
