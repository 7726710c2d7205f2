// The mine map: an SVG plan view (x east, y north, metres) of the twin's zones with its sensors
// (by level: the highest open alert that cites their readings; icon, word and value, never colour
// alone), machines (running / stopped from their ``running`` sensor), cameras and people. Kept live
// from the stream: ``asset.position`` moves people, ``device.reading`` updates values and machine
// states. Pan and zoom (js/map_zoom.js); markers keep their size on screen at any zoom. Labels
// (zone names, sensor values, machine states) are placed without overlap by js/map_labels.js.

import { api } from "./api.js";
import { citedDevices } from "./alert_inputs.js";
import { severityOf } from "./format.js";
import { MapDetail, RUN_STATE, valueText } from "./map_detail.js";
import { Labeller, pointsAlong } from "./map_labels.js";
import { PanZoom, ZOOM_STEP } from "./map_zoom.js";

const SVG = "http://www.w3.org/2000/svg";
const PAD_M = 40;
export const MAY_READ_DEVICES = "view_crew";
const NORMAL = { key: "ok", rank: 0, icon: "✓", label: "Normal" };
const NO_READING = { key: "none", rank: -1, icon: "?", label: "No reading yet" };
const GLYPH_R = { sensor: 8, camera: 9, person: 7, machine: 8, material: 8, shaft: 9 }; // px, stroke included
const LINE_HALF_WIDTH = 4; // px: half a zone's stroke
// which label wins a place (higher first): a sensor in alert (plus its level's rank), then a zone
// with an alert, shafts and refuges (the ways out), machines, the other zones, then sensor values
const PRIORITY = { alert: 100, alertZone: 80, shaft: 70, refuge: 70, machine: 50, working_face: 45, zone: 40, gate: 30, sensor: 20, noReading: 10 };
function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** Plan-view point of a mine-grid point: north up (SVG y grows down). */
const plan = ([x, y]) => [x, -y];

function activate(node, label, handler) {
  node.setAttribute("tabindex", "0");
  node.setAttribute("role", "button");
  node.setAttribute("aria-label", label);
  node.addEventListener("click", handler);
  node.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      handler();
    }
  });
}

export class MapView {
  constructor(me) {
    const old = document.getElementById("map");
    this.root = old.cloneNode(false); // a fresh element: no listeners left from an earlier login
    old.replaceWith(this.root);
    this.mayReadDevices = me.permissions.includes(MAY_READ_DEVICES);
    this.zones = new Map();
    this.assets = new Map();
    this.devices = new Map();
    this.levels = new Map(); // device id -> severity name of its highest open alert
    this.zoneAnchors = new Map(); // zone id -> where its label may go: {anchors, line, radius}
    this.unitsPerPixel = 1;
    this.labeller = new Labeller(this.root);
    this.labelsDue = false;
    this.detail = new MapDetail(document.getElementById("map-detail"), this);
    this.zoom = new PanZoom(this.root, (perPixel) => this.rescale(perPixel));
    document.getElementById("map-zoom-in").onclick = () => this.zoom.zoomBy(ZOOM_STEP);
    document.getElementById("map-zoom-out").onclick = () => this.zoom.zoomBy(1 / ZOOM_STEP);
    document.getElementById("map-fit").onclick = () => this.zoom.fit();
    document.getElementById("map-devices-denied").hidden = this.mayReadDevices;
  }

  async load() {
    const [zones, assets, devices] = await Promise.all([
      api.get("/zones"),
      api.get("/assets"),
      this.mayReadDevices ? api.get("/devices") : [],
    ]);
    this.zones = new Map(zones.map((zone) => [zone.id, zone]));
    this.assets = new Map(assets.map((asset) => [asset.id, asset]));
    this.devices = new Map(devices.filter((d) => d.kind === "sensor" || d.kind === "camera").map((d) => [d.id, d]));
    this.draw();
  }

  /** The alerts view's list changed: sensors take the level of their highest open alert. */
  setAlerts(alerts) {
    const levels = new Map();
    for (const alert of alerts) {
      if (alert.state === "resolved") continue;
      for (const id of citedDevices(alert)) {
        if (severityOf(alert.severity).rank > severityOf(levels.get(id)).rank) levels.set(id, alert.severity);
      }
    }
    this.levels = levels;
    for (const device of this.devices.values()) if (device.kind === "sensor") this.placeSensor(device);
    this.labelsLater(); // priorities follow the alerts
  }

  onEvent(event) {
    if (event.type === "asset.position") this.moved(event.data);
    else if (event.type === "device.reading") this.reading(event.data);
  }

  moved({ asset_id: id, x, y, z, zone_id: zoneId, t }) {
    const asset = this.assets.get(id) ?? { id, kind: "person", name: id, crew: null, state: {} };
    Object.assign(asset, { x, y, z, zone_id: zoneId, updated_at: t });
    this.assets.set(id, asset);
    this.placeAsset(asset);
    this.detail.changed(`asset:${id}`);
  }

  reading({ device_id: id, ...state }) {
    const device = this.devices.get(id);
    if (!device) return;
    device.state = state;
    device.updated_at = state.t;
    if (device.kind === "sensor") this.placeSensor(device);
    if (device.asset_id && this.assets.has(device.asset_id)) this.placeAsset(this.assets.get(device.asset_id));
    this.detail.changed(`device:${id}`);
  }

  levelOf(device) {
    const name = this.levels.get(device.id);
    if (name) return { key: name, ...severityOf(name) };
    return device.updated_at ? NORMAL : NO_READING;
  }

  /** A machine's ``running`` sensor, or undefined. */
  runSensor(machine) {
    return [...this.devices.values()].find((d) => d.asset_id === machine.id && d.sensor_kind === "running");
  }

  runState(machine) {
    const value = this.runSensor(machine)?.state?.value;
    return value === undefined || value === null ? "unknown" : Number(value) ? "running" : "stopped";
  }

  draw() {
    const points = [...this.zones.values()].flatMap((zone) => zone.path.points.map(plan));
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    // a margin for the markers at the mine's ends; labels are kept inside the map by their placement
    const [padX, padY] = [xs, ys].map((v) => Math.max(PAD_M, 0.05 * (Math.max(...v) - Math.min(...v))));
    const [x0, y0] = [Math.min(...xs) - padX, Math.min(...ys) - padY];
    this.layers = Object.fromEntries(["zones", "trail", "labels", "devices", "assets"].map((name) => [name, svg("g", { class: name })]));
    this.root.replaceChildren(...Object.values(this.layers));
    for (const zone of this.zones.values()) this.drawZone(zone);
    for (const device of this.devices.values()) {
      if (device.kind === "sensor") this.placeSensor(device);
      else this.placeCamera(device);
    }
    for (const asset of this.assets.values()) this.placeAsset(asset);
    this.zoom.setBase({ x: x0, y: y0, w: Math.max(...xs) - x0 + padX, h: Math.max(...ys) - y0 + padY });
  }

  drawZone(zone) {
    const points = zone.path.points.map(plan);
    const group = svg("g", { class: `zone kind-${zone.kind}${zone.danger ? " danger" : ""}`, "data-zone-id": zone.id }, svg("title", {}, `${zone.name} (${zone.kind})`));
    const spread = Math.hypot(points.at(-1)[0] - points[0][0], points.at(-1)[1] - points[0][1]);
    const key = `zone:${zone.id}`;
    if (points.length === 1 || spread < 1) {
      group.append(this.marker("shaft-mark", points[0], key, GLYPH_R.shaft, svg("circle", { r: 8, class: "shaft" }))); // vertical: a point in plan
      this.zoneAnchors.set(zone.id, { anchors: [{ at: points[0] }], line: false, radius: GLYPH_R.shaft });
    } else {
      group.append(svg("polyline", { points: points.map((p) => p.join(",")).join(" ") }));
      this.zoneAnchors.set(zone.id, { anchors: pointsAlong(points), line: true, radius: LINE_HALF_WIDTH });
    }
    activate(group, `Zone ${zone.name}, ${zone.kind}${zone.danger ? ", danger zone" : ""}`, () => this.detail.showZone(zone));
    this.layers.zones.append(group);
    const label = this.marker("zone-label", this.zoneAnchors.get(zone.id).anchors[0].at, key, 0, svg("text", { class: "label", x: 6, y: -8 }, zone.name));
    label.dataset.labelOf = zone.id;
    const lit = (on) => () => label.classList.toggle("lit", on); // a hidden name shows while its zone is hovered or focused
    for (const [type, on] of [["mouseenter", true], ["mouseleave", false], ["focus", true], ["blur", false]]) group.addEventListener(type, lit(on));
    this.layers.labels.append(label);
  }

  /** A person's recent fixes (oldest first) as a line on the map; [] takes it away. */
  showTrail(fixes) {
    const points = fixes.map((fix) => plan([fix.x, fix.y]).join(",")).join(" ");
    this.layers?.trail.replaceChildren(...(fixes.length > 1 ? [svg("polyline", { points })] : []));
  }

  /** A group drawn around (0, 0) in screen pixels, placed at the plan point ``at``; ``key`` names what
   * it shows (``device:<id>``, ``asset:<id>``, ``zone:<id>``), ``radius`` (px) its glyph, which labels keep clear of. */
  marker(className, at, key, radius, ...children) {
    const group = svg("g", { class: `marker ${className}`, "data-key": key, "data-r": radius }, ...children);
    this.put(group, at);
    return group;
  }

  put(group, [px, py]) {
    group.dataset.px = String(px);
    group.dataset.py = String(py);
    group.setAttribute("transform", `translate(${px} ${py}) scale(${this.unitsPerPixel})`);
  }

  rescale(unitsPerPixel) {
    this.unitsPerPixel = unitsPerPixel;
    for (const group of this.root.querySelectorAll(".marker")) this.put(group, [Number(group.dataset.px), Number(group.dataset.py)]);
    this.placeLabels(); // the view moved: what fits changed
  }

  /** Place the labels at the next frame (live updates come in bursts: one placement for all of them). */
  labelsLater() {
    if (this.labelsDue) return;
    this.labelsDue = true;
    requestAnimationFrame(() => {
      this.labelsDue = false;
      this.placeLabels();
    });
  }

  /** Every label by priority, around the glyphs of every marker (js/map_labels.js). */
  placeLabels() {
    if (!this.layers) return;
    const alerting = new Set([...this.levels.keys()].map((id) => this.devices.get(id)?.zone_id));
    const at = (group) => [Number(group.dataset.px), Number(group.dataset.py)];
    const labels = [...this.layers.labels.children].map((group) => {
      const zone = this.zones.get(group.dataset.labelOf);
      const priority = alerting.has(zone.id) ? PRIORITY.alertZone : (PRIORITY[zone.kind] ?? PRIORITY.zone);
      return { key: group.dataset.key, text: group.querySelector("text"), priority, ...this.zoneAnchors.get(zone.id), moveTo: (point) => this.put(group, point) };
    });
    for (const group of this.root.querySelectorAll(".sensor, .dot.machine")) {
      const device = this.devices.get(group.dataset.deviceId);
      const level = device && this.levelOf(device);
      const priority = !device ? PRIORITY.machine : level.rank > 0 ? PRIORITY.alert + level.rank : level === NO_READING ? PRIORITY.noReading : PRIORITY.sensor;
      labels.push({ key: group.dataset.key, text: group.querySelector("text"), priority, anchors: [{ at: at(group) }], line: false, radius: Number(group.dataset.r) });
    }
    labels.sort((a, b) => b.priority - a.priority || a.key.localeCompare(b.key));
    const marks = [...this.root.querySelectorAll(".marker:not(.zone-label)")].map((group) => ({ key: group.dataset.key, at: at(group), r: Number(group.dataset.r) }));
    const lines = [...this.zones.values()].map((zone) => zone.path.points.map(plan)).filter((points) => points.length > 1);
    this.labeller.place(labels, marks, lines, LINE_HALF_WIDTH);
  }

  /** The marker of ``selector`` in ``layer``, made by ``create`` the first time. */
  find(layer, selector, create) {
    let node = this.layers?.[layer].querySelector(selector);
    if (!node && this.layers) {
      node = create();
      this.layers[layer].append(node);
    }
    return node;
  }

  placeSensor(device) {
    if (device.x === null || device.x === undefined) return; // mounted on a machine: shown with it
    const node = this.find("devices", `[data-device-id="${CSS.escape(device.id)}"]`, () => {
      const body = [svg("title"), svg("path", { d: "M0,-7 L7,0 L0,7 L-7,0 Z" }), svg("text", { class: "label", x: 10, y: 4 })];
      const group = this.marker("sensor", plan([device.x, device.y]), `device:${device.id}`, GLYPH_R.sensor, ...body);
      group.dataset.deviceId = device.id;
      activate(group, `sensor ${device.id}`, () => this.detail.showDevice(this.devices.get(device.id)));
      return group;
    });
    if (!node) return;
    const level = this.levelOf(device);
    const value = valueText(device.state, device.unit ?? "");
    node.setAttribute("class", `marker sensor lvl-${level.key}`);
    node.dataset.level = level.key;
    node.querySelector("text").textContent = level === NO_READING ? level.icon : `${level.icon} ${value}`;
    node.querySelector("title").textContent = `${device.id} (${device.sensor_kind}): ${value} — ${level.label}`;
    node.setAttribute("aria-label", `sensor ${device.id}, ${device.sensor_kind} ${value}, ${level.label}`);
    this.labelsLater();
  }

  placeCamera(device) {
    if (device.x === null || device.x === undefined) return;
    this.find("devices", `[data-device-id="${CSS.escape(device.id)}"]`, () => {
      const body = [svg("rect", { x: -8, y: -5, width: 11, height: 10, rx: 2 }), svg("path", { d: "M3,-2 L9,-6 L9,6 L3,2 Z" })];
      const group = this.marker("camera", plan([device.x, device.y]), `device:${device.id}`, GLYPH_R.camera, svg("title", {}, `camera ${device.id}`), ...body);
      group.dataset.deviceId = device.id;
      activate(group, `camera ${device.id}`, () => this.detail.showDevice(this.devices.get(device.id)));
      return group;
    });
  }

  placeAsset(asset) {
    if (asset.x === null || asset.x === undefined) return;
    const node = this.find("assets", `[data-asset-id="${CSS.escape(asset.id)}"]`, () => {
      const shape = asset.kind === "person" ? svg("circle", { r: 6 }) : svg("rect", { x: -7, y: -7, width: 14, height: 14 });
      const group = this.marker(`dot ${asset.kind}`, plan([asset.x, asset.y]), `asset:${asset.id}`, GLYPH_R[asset.kind], svg("title", {}, asset.name), shape);
      if (asset.kind === "machine") group.append(svg("text", { class: "label", x: 10, y: 4 }));
      group.dataset.assetId = asset.id;
      activate(group, `${asset.kind} ${asset.name}`, () => this.detail.showAsset(this.assets.get(asset.id)));
      return group;
    });
    if (!node) return;
    this.put(node, plan([asset.x, asset.y]));
    node.dataset.x = String(asset.x);
    node.dataset.y = String(asset.y);
    node.dataset.zone = asset.zone_id ?? "";
    this.labelsLater(); // a marker moved: labels keep clear of it
    if (asset.kind !== "machine") return;
    const run = this.runState(asset);
    node.setAttribute("class", `marker dot ${asset.kind} run-${run}`);
    node.dataset.run = run;
    node.querySelector("text").textContent = run === "unknown" ? RUN_STATE[run].icon : `${RUN_STATE[run].icon} ${RUN_STATE[run].label}`;
    node.setAttribute("aria-label", `${asset.kind} ${asset.name}, ${RUN_STATE[run].label}`);
    node.querySelector("title").textContent = `${asset.name}: ${RUN_STATE[run].label}`;
  }
}
