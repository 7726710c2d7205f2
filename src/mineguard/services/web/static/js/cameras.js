// The cameras view: a tile per camera with its health (the newest ``system.camera_down`` event:
// value 1 = down) and its latest snapshot (the newest vision event carrying evidence), both in
// words and icons. Only for roles that may read events and devices (``view_crew``). It reloads,
// while on screen, when the stream brings a camera event; nothing is polled.

import { api } from "./api.js";
import { el, timeOf } from "./format.js";
import { Refresher } from "./refresh.js";

export const MAY_READ_CAMERAS = "view_crew";
const LOOK_BACK_MS = 7 * 24 * 3600 * 1000; // a camera silent for a week shows "no health report"
const HEALTH = {
  down: { icon: "✖", label: "Down" },
  streaming: { icon: "▶", label: "Streaming" },
  unknown: { icon: "?", label: "No health report" },
};

/** The newest event per camera (events come newest first) that ``wanted`` accepts. */
function newestPerCamera(events, wanted = () => true) {
  const newest = new Map();
  for (const event of events) {
    if (event.device_id && !newest.has(event.device_id) && wanted(event)) newest.set(event.device_id, event);
  }
  return newest;
}

const snapshotOf = (event) => event.attributes?.evidence?.snapshot;

export class CamerasView {
  constructor(me, onError) {
    this.allowed = me.permissions.includes(MAY_READ_CAMERAS);
    this.urls = new Map(); // snapshot sha256 -> object URL, kept while a tile shows it
    this.tiles = document.getElementById("camera-tiles");
    this.refresher = new Refresher(() => this.load(), { gapMs: 1000, onError });
    document.getElementById("cameras-denied").hidden = this.allowed;
    this.tiles.hidden = !this.allowed;
  }

  show(shown) {
    if (this.allowed) this.refresher.show(shown);
  }

  onEvent(event) {
    if (!this.allowed || event.type !== "event") return;
    const signal = event.data.signal ?? "";
    if (signal === "system.camera_down" || signal.startsWith("vision.")) this.refresher.request();
  }

  resync() {
    if (this.allowed) this.refresher.request(0);
  }

  stop() {
    this.refresher.stop();
    for (const url of this.urls.values()) URL.revokeObjectURL(url);
    this.urls.clear();
  }

  async load() {
    const start = encodeURIComponent(new Date(Date.now() - LOOK_BACK_MS).toISOString());
    const [cameras, health, vision] = await Promise.all([
      api.get("/devices?kind=camera"),
      api.get(`/events?source=system&label=camera_down&start=${start}&limit=1000`),
      api.get(`/events?source=vision&start=${start}&limit=1000`),
    ]);
    const healthOf = newestPerCamera(health);
    const shotOf = newestPerCamera(vision, snapshotOf);
    this.tiles.replaceChildren(...cameras.map((camera) => this.tile(camera, healthOf.get(camera.id), shotOf.get(camera.id))));
    const down = cameras.filter((camera) => healthOf.get(camera.id)?.value).length;
    document.getElementById("camera-count").textContent = `(${cameras.length}, ${down} down)`;
    this.forgetUnused(new Set([...shotOf.values()].map(snapshotOf)));
  }

  tile(camera, report, shot) {
    const key = report === undefined ? "unknown" : report.value ? "down" : "streaming";
    const health = HEALTH[key];
    return el(
      "li",
      { class: `tile health-${key}`, "data-camera-id": camera.id, "data-health": key, tabindex: "0", "aria-labelledby": `cam-${camera.id}` },
      el("h3", { id: `cam-${camera.id}` }, camera.id, el("span", { class: "zone" }, ` · ${camera.zone_id ?? "no zone"}`)),
      el(
        "p",
        { class: `health health-${key}` },
        el("span", { "aria-hidden": "true" }, `${health.icon} `),
        health.label,
        report ? el("span", { class: "opened" }, ` since ${timeOf(report.t)}`) : null,
      ),
      this.snapshot(camera, shot),
    );
  }

  snapshot(camera, shot) {
    if (!shot) return el("p", { class: "empty no-snapshot" }, "No snapshot yet.");
    const sha = snapshotOf(shot);
    const image = el("img", { class: "snapshot", alt: `latest snapshot from ${camera.id}: ${shot.label} at ${timeOf(shot.t)}` });
    const known = this.urls.get(sha);
    const ready = known ? Promise.resolve(known) : api.blobUrl(`/evidence/${sha}`);
    ready.then(
      (url) => {
        this.urls.set(sha, url);
        image.src = url;
      },
      (error) => image.replaceWith(el("p", { class: "error" }, `snapshot: ${error.message}`)),
    );
    return el("figure", {}, image, el("figcaption", {}, `${shot.label.replaceAll("_", " ")} · ${timeOf(shot.t)}`));
  }

  forgetUnused(shown) {
    for (const [sha, url] of this.urls) {
      if (!shown.has(sha)) {
        URL.revokeObjectURL(url);
        this.urls.delete(sha);
      }
    }
  }
}
