// The sensors view: the site's sensors by zone, each with its latest value and its level against the
// threshold lines the running rules draw for it (icon and word, never colour alone); for the chosen
// sensor a chart of its readings (as stored, and cleansed: without the readings a bad cleansing flag
// marks), the flagged readings and why, and the risk model's forecast band when it has one. Only for
// the roles that may read readings (``view_crew``). Live: a ``device.reading`` stream event updates the
// sensor's value in place (no request) and, for the chosen sensor, reads the new readings at most once
// a second; ``rules.changed`` reads the threshold lines again. Nothing is polled.

import { api } from "./api.js";
import { timeSeriesChart } from "./chart.js";
import { el, formatValue, severityOf, timeOf } from "./format.js";
import { Refresher } from "./refresh.js";

export const MAY_READ_SENSORS = "view_crew";
// warning.sensing.checks.BAD_FLAGS: a reading with one of these is left out of the cleansed series
// (tests/services/web/test_sensors_view.py checks the two lists agree). ``after_gap`` only marks a gap.
export const BAD_FLAGS = ["out_of_range", "spike", "stuck", "not_finite"];
const WINDOWS_MIN = [15, 60, 120]; // at 1 Hz, 2 h is 7 200 readings: within one read (limit 10 000)
const READ_LIMIT = 10_000;
const OP = { ">=": "≥", "<=": "≤" };

/** The sensor's level now: the most severe threshold line its latest value is past (no debounce: the alerts say what the rules decided). */
export function levelOf(sensor) {
  if (!sensor.latest) return { key: "none", icon: "…", label: "No reading yet" };
  if (!sensor.thresholds.length) return { key: "none", icon: "–", label: "No threshold" };
  const value = sensor.latest.value;
  const past = sensor.thresholds.filter((line) => (line.op === ">=" ? value >= line.threshold : value <= line.threshold));
  if (!past.length) return { key: "normal", icon: "✓", label: "Normal" };
  const worst = past.at(-1); // lines come lowest severity first
  const severity = severityOf(worst.severity);
  return { key: worst.severity, icon: severity.icon, label: `${severity.label} (${OP[worst.op]} ${formatValue(worst.threshold)})` };
}

const KIND_NAMES = { co: "CO", o2: "O₂", no2: "NO₂", h2s: "H₂S" };
const kindName = (kind) => KIND_NAMES[kind] ?? kind.charAt(0).toUpperCase() + kind.slice(1).replaceAll("_", " ");
const isBad = (reading) => reading.flags.some((flag) => BAD_FLAGS.includes(flag));

/** "— flagged: spike (not used by the rules)" for a latest reading with flags; nothing when clean. */
function flagNote(latest) {
  if (!latest?.flags?.length) return null;
  const use = isBad(latest) ? "held back from the rules" : "still used by the rules";
  return el("span", { class: "flag-note", "data-flags": latest.flags.join(" ") }, ` — ⚑ flagged: ${latest.flags.join(", ")} (${use})`);
}

export class SensorsView {
  constructor(me, onError) {
    this.allowed = me.permissions.includes(MAY_READ_SENSORS);
    document.querySelector('#nav [data-view="sensors"]').hidden = !this.allowed;
    this.sensors = new Map();
    this.selected = null;
    this.windowMin = WINDOWS_MIN[0];
    this.readings = [];
    this.forecast = null;
    this.groups = document.getElementById("sensor-groups");
    this.detail = document.getElementById("sensor-detail");
    this.list = new Refresher(() => this.loadList(), { gapMs: 1000, onError });
    this.chart = new Refresher(() => this.loadChart(), { gapMs: 1000, onError });
  }

  show(shown) {
    if (!this.allowed) return;
    this.list.show(shown);
    this.chart.show(shown);
  }

  onEvent(event) {
    if (!this.allowed) return;
    if (event.type === "rules.changed") {
      this.list.request();
      this.chart.request();
    } else if (event.type === "device.reading") {
      const sensor = this.sensors.get(event.data.device_id);
      if (!sensor) return;
      const { t, value, unit, seq, flags } = event.data;
      sensor.latest = { t, value, unit, seq, flags: flags ?? [] };
      this.groups.querySelector(`[data-sensor-id="${CSS.escape(sensor.id)}"]`)?.replaceWith(this.item(sensor));
      if (sensor.id === this.selected) this.chart.request();
    }
  }

  resync() {
    if (!this.allowed) return;
    this.list.request(0);
    this.chart.request(0);
  }

  stop() {
    this.list.stop();
    this.chart.stop();
  }

  async loadList() {
    const sensors = await api.get("/sensors");
    this.sensors = new Map(sensors.map((sensor) => [sensor.id, sensor]));
    this.renderList();
    if (this.selected && this.sensors.has(this.selected)) this.renderDetail();
  }

  renderList() {
    const zones = new Map();
    for (const sensor of this.sensors.values()) {
      const key = sensor.zone_id ?? "";
      if (!zones.has(key)) zones.set(key, { name: sensor.zone_name ?? sensor.zone_id ?? "No zone", sensors: [] });
      zones.get(key).sensors.push(sensor);
    }
    this.groups.replaceChildren(
      ...[...zones].map(([zoneId, zone]) =>
        el(
          "section",
          { class: "sensor-zone", "data-zone-id": zoneId, "aria-label": zone.name },
          el("h3", {}, zone.name, el("span", { class: "count" }, ` (${zone.sensors.length})`)),
          el("ul", { class: "sensor-list" }, zone.sensors.map((sensor) => this.item(sensor))),
        ),
      ),
    );
    document.getElementById("sensor-count").textContent = `(${this.sensors.size})`;
  }

  item(sensor) {
    const level = levelOf(sensor);
    const unit = sensor.latest?.unit ?? sensor.unit ?? "";
    return el(
      "li",
      { "data-sensor-id": sensor.id, "data-level": level.key, class: `sensor level-${level.key}` },
      el(
        "button",
        { type: "button", class: "sensor-open", "aria-pressed": sensor.id === this.selected ? "true" : "false", onclick: () => this.select(sensor.id) },
        el("span", { class: "sensor-name" }, kindName(sensor.sensor_kind), el("span", { class: "sensor-id" }, ` ${sensor.id}`)),
        el("span", { class: "sensor-value" }, sensor.latest ? `${formatValue(sensor.latest.value)} ${unit}` : "—"),
        el("span", { class: "level" }, el("span", { "aria-hidden": "true" }, `${level.icon} `), level.label, flagNote(sensor.latest)),
      ),
    );
  }

  select(id) {
    this.selected = id;
    this.readings = [];
    this.forecast = null;
    this.renderList();
    this.groups.querySelector(`[data-sensor-id="${CSS.escape(id)}"] button`)?.focus();
    this.detail.replaceChildren(el("p", { class: "empty" }, "Reading…"));
    this.chart.request(0);
  }

  setWindow(minutes) {
    this.windowMin = minutes;
    this.readings = [];
    this.chart.request(0);
  }

  /** The chosen sensor's readings in the window (only the new ones when some are held) and its forecast. */
  async loadChart() {
    const id = this.selected;
    if (!id) return;
    const windowStart = Date.now() - this.windowMin * 60_000;
    const last = this.readings.at(-1);
    const from = last ? last.t : new Date(windowStart).toISOString();
    const query = `device_id=${encodeURIComponent(id)}&start=${encodeURIComponent(from)}&limit=${READ_LIMIT}`;
    const [fresh, forecast] = await Promise.all([api.get(`/readings?${query}`), api.get(`/sensors/${encodeURIComponent(id)}/forecast`)]);
    if (id !== this.selected) return; // another sensor was chosen meanwhile
    const known = new Set(this.readings.map((reading) => reading.seq));
    this.truncated = !last && fresh.length === READ_LIMIT;
    this.readings = [...this.readings, ...fresh.filter((reading) => !known.has(reading.seq))]
      .filter((reading) => Date.parse(reading.t) >= windowStart)
      .sort((a, b) => Date.parse(a.t) - Date.parse(b.t) || a.seq - b.seq);
    this.forecast = forecast;
    this.renderDetail();
  }

  renderDetail() {
    const sensor = this.sensors.get(this.selected);
    if (!sensor) return;
    const level = levelOf(sensor);
    const unit = this.readings.at(-1)?.unit ?? sensor.latest?.unit ?? sensor.unit ?? "";
    const flagged = this.readings.filter((reading) => reading.flags.length);
    this.detail.replaceChildren(
      el("h3", {}, `${kindName(sensor.sensor_kind)} · ${sensor.id}`, el("span", { class: "zone" }, ` · ${sensor.zone_name ?? sensor.zone_id ?? "no zone"}`)),
      el(
        "p",
        { class: `level-now level-${level.key}`, "data-level": level.key },
        el("span", { "aria-hidden": "true" }, `${level.icon} `),
        sensor.latest ? `${formatValue(sensor.latest.value)} ${unit} at ${timeOf(sensor.latest.t)} — ${level.label}` : level.label,
        flagNote(sensor.latest),
      ),
      this.windowButtons(),
      this.chartFigure(sensor, unit),
      this.forecastNote(unit),
      this.thresholdTable(sensor, unit),
      this.flaggedTable(flagged, unit),
    );
  }

  windowButtons() {
    return el(
      "div",
      { class: "windows", role: "group", "aria-label": "Time window" },
      WINDOWS_MIN.map((minutes) =>
        el(
          "button",
          { type: "button", "aria-pressed": minutes === this.windowMin ? "true" : "false", onclick: () => this.setWindow(minutes) },
          minutes < 60 ? `${minutes} min` : `${minutes / 60} h`,
        ),
      ),
    );
  }

  chartFigure(sensor, unit) {
    const now = Date.now();
    const points = this.readings.map((reading) => ({ t: Date.parse(reading.t), v: reading.value, mark: reading.flags.join(", ") || undefined }));
    const cleansed = this.readings.map((reading) => ({ t: Date.parse(reading.t), v: isBad(reading) ? null : reading.value }));
    const band = this.band();
    const lines = sensor.thresholds.map((line) => {
      const severity = severityOf(line.severity);
      return { value: line.threshold, key: line.severity, label: `${severity.icon} ${severity.label} ${OP[line.op]} ${formatValue(line.threshold)}` };
    });
    const chart = timeSeriesChart({
      start: now - this.windowMin * 60_000,
      end: band ? Math.max(now, band.t1) : now,
      unit,
      series: [
        { key: "raw", label: "as stored", points },
        { key: "cleansed", label: "cleansed", points: cleansed },
      ],
      lines,
      band,
      title: `${kindName(sensor.sensor_kind)} ${sensor.id}, last ${this.windowMin} min, ${this.readings.length} readings, in ${unit}`,
    });
    const legend = el(
      "p",
      { class: "legend chart-legend" },
      el("span", { class: "key raw-key" }), " as stored ",
      el("span", { class: "key cleansed-key" }), " cleansed (bad flags left out) ",
      el("span", { class: "key mark-key", "aria-hidden": "true" }, "✕"), " flagged reading ",
      el("span", { class: "key threshold-key" }), " threshold level",
      band ? [" ", el("span", { class: "key band-key" }), " forecast (95 %)"] : null,
    );
    const summary = `${this.readings.length} readings in the last ${this.windowMin} min, ${this.readings.filter(isBad).length} left out of the cleansed series${this.truncated ? ` (only the first ${READ_LIMIT} shown)` : ""}`;
    return el("figure", { class: "sensor-chart" }, chart, el("figcaption", {}, legend, el("span", { class: "hint" }, summary)));
  }

  /** The forecast as a band from the latest cleansed reading to the horizon's 95 % interval. */
  band() {
    const forecast = this.forecast?.forecast;
    if (!forecast) return null;
    const t0 = Date.parse(forecast.t);
    const [lo, hi] = forecast.interval_95; // the service's 95 % prediction interval at the horizon
    return {
      t0,
      v0: forecast.value,
      t1: t0 + forecast.horizon_s * 1000,
      mid: forecast.predicted,
      lo,
      hi,
      label: `${forecast.model} forecast in ${forecast.horizon_s / 60} min: ${formatValue(forecast.predicted)} (95 % ${formatValue(lo)} to ${formatValue(hi)})`,
    };
  }

  forecastNote(unit) {
    const answer = this.forecast;
    if (!answer) return null;
    const forecast = answer.forecast;
    if (!forecast) return el("p", { class: "forecast-note hint" }, `No forecast: ${answer.reason}.`);
    const [lo, hi] = forecast.interval_95;
    const [lo80, hi80] = forecast.interval_80;
    const minutes = forecast.minutes_to_limit;
    const when = minutes === null ? "not heading for it" : minutes <= 0 ? "already past it" : minutes < 1 ? "within a minute on this trend" : `in about ${Math.round(minutes)} min on this trend`;
    const level = `${severityOf(forecast.limit_severity).label} ${OP[forecast.op]} ${formatValue(forecast.limit)} ${unit}`;
    return el(
      "p",
      { class: "forecast-note" },
      `Forecast (${forecast.model} model) in ${forecast.horizon_s / 60} min: ${formatValue(forecast.predicted)} ${unit}, 80 % ${formatValue(lo80)} to ${formatValue(hi80)}, 95 % ${formatValue(lo)} to ${formatValue(hi)}. `,
      `Next level, ${level}: ${when} (p = ${forecast.probability.toFixed(2)} of being past it then). The risk job stores its forecast of each round (GET /api/v1/forecasts).`,
    );
  }

  thresholdTable(sensor, unit) {
    if (!sensor.thresholds.length) return el("p", { class: "empty" }, "No threshold rule judges this sensor.");
    return el(
      "table",
      { class: "thresholds", "aria-label": "Threshold levels" },
      el("thead", {}, el("tr", {}, ["Level", "At", "Rule", "Source"].map((name) => el("th", { scope: "col" }, name)))),
      el(
        "tbody",
        {},
        sensor.thresholds.map((line) => {
          const severity = severityOf(line.severity);
          return el(
            "tr",
            { class: `sev-${line.severity}` },
            el("td", {}, el("span", { class: "sev", "aria-hidden": "true" }, `${severity.icon} `), severity.label),
            el("td", {}, `${OP[line.op]} ${formatValue(line.threshold)} ${unit}`),
            el("td", {}, el("code", {}, line.rule_id)),
            el("td", { class: "source" }, line.source ?? "site rule"),
          );
        }),
      ),
    );
  }

  flaggedTable(flagged, unit) {
    if (!flagged.length) return el("p", { class: "empty flagged-empty" }, "No flagged reading in this window.");
    const newest = flagged.slice(-20).reverse();
    return el(
      "table",
      { class: "flagged", "aria-label": "Flagged readings" },
      el("caption", {}, `Flagged readings (${flagged.length}${flagged.length > newest.length ? `, newest ${newest.length}` : ""})`),
      el("thead", {}, el("tr", {}, ["Time", "Value", "As sent", "Flags", "Cleansed"].map((name) => el("th", { scope: "col" }, name)))),
      el(
        "tbody",
        {},
        newest.map((reading) =>
          el(
            "tr",
            { "data-seq": reading.seq },
            el("td", {}, timeOf(reading.t)),
            el("td", {}, `${formatValue(reading.value)} ${unit}`),
            el("td", {}, `${formatValue(reading.raw_value)} ${reading.raw_unit}`),
            el("td", { class: "flags" }, reading.flags.join(", ")),
            el("td", {}, isBad(reading) ? "left out" : "kept"),
          ),
        ),
      ),
    );
  }
}
