// The map's detail pane: what was clicked (zone, person, machine, sensor, camera) and its recent
// history from the API — a person's fixes (and their trail on the map), a machine's state by sensor
// kind and its running history, a sensor's readings, the events of a camera. Live values update in
// place from the stream; the history is read once when the item is opened.

import { api } from "./api.js";
import { readingsChart } from "./chart.js";
import { definitionList, el, timeOf } from "./format.js";

const MINUTE_MS = 60_000;
const READINGS_WINDOW_MS = 10 * MINUTE_MS; // a sensor's chart (at 1 Hz: 600 readings, under the API's 1000)
const POSITIONS_WINDOW_MS = 60 * MINUTE_MS;
const CAMERA_WINDOW_MS = 24 * 60 * MINUTE_MS;
const SHOWN_FIXES = 8;

export const RUN_STATE = {
  running: { icon: "▶", label: "running" },
  stopped: { icon: "■", label: "stopped" },
  unknown: { icon: "?", label: "state unknown" },
};

/** "1.70 %" from a live state ``{value, unit}``; "—" before the first reading. */
export function valueText(state, unit = "") {
  if (state?.value === undefined || state?.value === null) return "—";
  const value = Number(state.value);
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${state.unit ?? unit}`.trim();
}

const since = (ms) => encodeURIComponent(new Date(Date.now() - ms).toISOString());
const position = (item) => (item.x === null || item.x === undefined ? "no fix yet" : `${item.x.toFixed(1)}, ${item.y.toFixed(1)}, ${item.z.toFixed(1)} m`);

export class MapDetail {
  constructor(node, view) {
    this.node = node;
    this.view = view; // the MapView: its zones, assets, devices, levels and trail
    this.selected = null;
  }

  /** Open ``key`` with ``parts`` now; ``history`` (a promise of nodes) fills in when it arrives. */
  open(key, parts, history = null) {
    this.selected = key;
    this.view.showTrail([]);
    const slot = el("section", { class: "history", "aria-busy": history ? "true" : "false" });
    this.node.replaceChildren(...parts, slot);
    this.node.focus();
    history
      ?.then(
        (nodes) => this.selected === key && slot.replaceChildren(...nodes),
        (error) => this.selected === key && slot.replaceChildren(el("p", { class: "error" }, `history: ${error.message}`)),
      )
      .finally(() => slot.setAttribute("aria-busy", "false"));
  }

  /** The stream changed ``key`` (``asset:<id>``, ``device:<id>``): refresh its live lines if it is open. */
  changed(key) {
    if (key !== this.selected) return;
    const [kind, id] = key.split(":");
    const live = this.node.querySelector(".live-facts");
    if (live) live.replaceWith(kind === "asset" ? this.assetFacts(this.view.assets.get(id)) : this.deviceFacts(this.view.devices.get(id)));
  }

  showZone(zone) {
    const here = [...this.view.assets.values()].filter((asset) => asset.zone_id === zone.id);
    const sensors = [...this.view.devices.values()].filter((d) => d.kind === "sensor" && d.zone_id === zone.id);
    this.open(`zone:${zone.id}`, [
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
      sensors.length ? el("h4", {}, "Sensors") : null,
      sensors.length ? el("ul", { class: "zone-sensors" }, sensors.map((d) => el("li", {}, this.levelWords(d), ` ${d.id}: ${valueText(d.state, d.unit ?? "")}`))) : null,
    ]);
  }

  levelWords(device) {
    const level = this.view.levelOf(device);
    return el("span", { class: `level-word lvl-${level.key}` }, el("span", { "aria-hidden": "true" }, `${level.icon} `), level.label);
  }

  assetFacts(asset) {
    const pairs = [
      ["Id", asset.id],
      ["Kind", asset.kind],
      ["Crew", asset.crew],
      ["Zone", asset.zone_id],
      ["Position (x, y, z)", position(asset)],
      ["Last update", timeOf(asset.updated_at)],
    ];
    if (asset.kind === "machine") {
      const run = RUN_STATE[this.view.runState(asset)];
      pairs.splice(2, 1, ["Running state", `${run.icon} ${run.label}`]);
    }
    return el("div", { class: "live-facts" }, definitionList(pairs));
  }

  showAsset(asset) {
    const history = asset.kind === "machine" ? this.machineHistory(asset) : this.positionHistory(asset);
    this.open(`asset:${asset.id}`, [el("h3", {}, asset.name), this.assetFacts(asset)], history);
  }

  async positionHistory(asset) {
    const fixes = await api.get(`/assets/${encodeURIComponent(asset.id)}/history?start=${since(POSITIONS_WINDOW_MS)}&limit=1000`);
    this.view.showTrail(fixes);
    const newest = fixes.slice(-SHOWN_FIXES).reverse();
    return [
      el("h4", {}, `Last hour: ${fixes.length} fix${fixes.length === 1 ? "" : "es"}`),
      newest.length
        ? el("ol", { class: "fixes" }, newest.map((fix) => el("li", {}, `${timeOf(fix.t)} · ${fix.zone_id ?? "no zone"} · ${fix.source}`)))
        : el("p", { class: "empty" }, "No position in the last hour."),
    ];
  }

  async machineHistory(machine) {
    const id = encodeURIComponent(machine.id);
    const [state, runs] = await Promise.all([
      api.get(`/assets/${id}/state`),
      api.get(`/assets/${id}/state/history?start=${since(POSITIONS_WINDOW_MS)}&limit=1000`),
    ]);
    const kinds = Object.entries(state.state);
    const running = runs.filter((reading) => reading.kind === "running");
    return [
      el("h4", {}, "State by sensor"),
      kinds.length
        ? definitionList(kinds.map(([kind, s]) => [kind, `${valueText(s)} at ${timeOf(s.t)} (${s.device_id})`]))
        : el("p", { class: "empty" }, "No sensor on this machine has reported yet."),
      running.length ? readingsChart(running, { unit: "1 = running", title: `${machine.name}: running state, last hour` }) : null,
    ];
  }

  deviceFacts(device) {
    const pairs = [
      ["Id", device.id],
      ["Kind", device.kind === "sensor" ? `sensor (${device.sensor_kind})` : device.kind],
      ["Zone", device.zone_id],
      ["Mounted on", device.asset_id],
      ["Position (x, y, z)", position(device)],
    ];
    if (device.kind === "sensor") {
      pairs.push(["Latest", `${valueText(device.state, device.unit ?? "")} at ${timeOf(device.updated_at)}`], ["Level", this.levelWords(device)]);
    }
    return el("div", { class: "live-facts" }, definitionList(pairs));
  }

  showDevice(device) {
    const history = device.kind === "sensor" ? this.readingsHistory(device) : this.cameraHistory(device);
    this.open(`device:${device.id}`, [el("h3", {}, device.id), this.deviceFacts(device)], history);
  }

  async readingsHistory(device) {
    const readings = await api.get(`/readings?device_id=${encodeURIComponent(device.id)}&start=${since(READINGS_WINDOW_MS)}&limit=1000`);
    if (!readings.length) return [el("p", { class: "empty" }, "No reading in the last 10 minutes.")];
    return [el("h4", {}, "Last 10 minutes"), readingsChart(readings, { unit: device.unit ?? "", title: `${device.id} readings, last 10 minutes` })];
  }

  async cameraHistory(camera) {
    const events = await api.get(`/events?zone_id=${encodeURIComponent(camera.zone_id ?? "")}&start=${since(CAMERA_WINDOW_MS)}&limit=500`);
    const mine = events.filter((event) => event.device_id === camera.id).slice(0, SHOWN_FIXES);
    return [
      el("h4", {}, "Its events, last 24 h"),
      mine.length
        ? el("ol", { class: "fixes" }, mine.map((event) => el("li", {}, `${timeOf(event.t)} · ${event.source}.${event.label}`)))
        : el("p", { class: "empty" }, "No event from this camera in the last 24 hours."),
    ];
  }
}
