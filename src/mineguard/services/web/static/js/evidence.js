// An alert's evidence bundle, beside its camera media (js/alerts.js): the rule that fired with its
// levels and regulation source, a chart of the readings it cites around the time it opened, and the
// similar past incidents (MSHA records) the service attached when the alert was raised.

import { citedDevices } from "./alert_inputs.js";
import { api } from "./api.js";
import { readingsChart } from "./chart.js";
import { definitionList, el, formatValue } from "./format.js";

const MAY_READ_READINGS = "view_crew";
const BEFORE_MS = 5 * 60_000; // the chart starts this long before the alert opened
const AFTER_MS = 30 * 60_000; // and ends at most this long after (or now, or when it was cleared)
const MAX_CHARTS = 3;
const NOT_CONDITIONS = new Set(["inputs", "media", "similar_incidents", "levels", "source", "op", "threshold", "value", "clear_hysteresis", "rate_per_min"]);
const OP_WORDS = { ">=": "≥", "<=": "≤", "==": "=", "!=": "≠" };
const shown = (value) => (typeof value === "number" ? formatValue(value, 4) : String(value)); // a condition may be a word or a flag

/** The rule's own words: its threshold and levels, or a combined rule's condition values; its source. */
export function ruleThatFired(alert) {
  const evidence = alert.evidence ?? {};
  const facts = [];
  if (evidence.threshold !== undefined) {
    const op = OP_WORDS[evidence.op] ?? evidence.op;
    facts.push(["Condition", `value ${shown(evidence.value)} ${op} ${evidence.threshold} (${alert.severity})`]);
    const levels = Object.entries(evidence.levels ?? {});
    if (levels.length) facts.push(["Levels", levels.map(([name, value]) => `${name} ${op} ${value}`).join(" · ")]);
  } else {
    for (const [name, value] of Object.entries(evidence)) {
      if (!NOT_CONDITIONS.has(name) && (typeof value !== "object" || value === null)) facts.push([name, value === null ? "no recent value" : shown(value)]);
    }
  }
  if (evidence.rate_per_min !== undefined && evidence.rate_per_min !== null) facts.push(["Rate", `${Number(evidence.rate_per_min).toFixed(2)} per min`]);
  return el(
    "section",
    { class: "rule-fired", "aria-label": "Rule that fired" },
    el("h4", {}, "Rule that fired: ", el("code", { class: "rule" }, alert.rule_id)),
    facts.length ? definitionList(facts) : null,
    evidence.source ? el("p", { class: "source" }, "Source: ", evidence.source) : null,
  );
}

/** A chart per cited sensor, ``BEFORE_MS`` before the alert opened to its end; filled in when read. */
export function readingsAround(alert, permissions) {
  const section = el("section", { class: "readings-around", "aria-label": "Readings around the event" }, el("h4", {}, "Readings around the event"));
  const devices = citedDevices(alert).slice(0, MAX_CHARTS);
  if (!devices.length) {
    section.append(el("p", { class: "empty" }, "This alert cites no sensor reading."));
    return section;
  }
  if (!permissions.has(MAY_READ_READINGS)) {
    section.append(el("p", { class: "empty" }, `Readings of ${devices.join(", ")} are shown to supervisors and up.`));
    return section;
  }
  const opened = Date.parse(alert.opened_at);
  const end = Math.min(Date.now(), opened + AFTER_MS, alert.resolved_at ? Date.parse(alert.resolved_at) + BEFORE_MS : Infinity);
  const span = `start=${encodeURIComponent(new Date(opened - BEFORE_MS).toISOString())}&end=${encodeURIComponent(new Date(end).toISOString())}`;
  const levels = Object.entries(alert.evidence?.levels ?? {});
  const moments = [{ t: opened, label: "raised" }];
  if (alert.acknowledged_at) moments.push({ t: Date.parse(alert.acknowledged_at), label: "ack" });
  for (const device of devices) {
    const slot = el("div", { class: "chart-slot", "data-device-id": device }, el("p", { class: "empty" }, `reading ${device}…`));
    section.append(slot);
    api.get(`/readings?device_id=${encodeURIComponent(device)}&${span}&limit=1000`).then(
      (readings) => {
        const unit = readings[0]?.unit ?? "";
        const title = `${device}: readings from 5 min before the alert opened`;
        const lines = levels.map(([key, value]) => ({ key, value, label: `${key} ${value} ${unit}` }));
        const chart = readingsChart(readings, { unit, title, lines, moments, start: opened - BEFORE_MS, end });
        slot.replaceChildren(readings.length ? chart : el("p", { class: "empty" }, `No reading of ${device} in that window.`), el("p", { class: "caption" }, title));
      },
      (error) => slot.replaceChildren(el("p", { class: "error" }, `readings of ${device}: ${error.message}`)),
    );
  }
  return section;
}

const webLink = (url) => (/^https?:\/\//.test(url ?? "") ? el("a", { href: url, rel: "noopener noreferrer", target: "_blank" }, "report") : null);

/** The past incidents most like this alert (best first), as the service's incident index found them. */
export function similarIncidents(incidents) {
  if (!incidents.length) return null; // the service runs without an incident index, or found none close enough
  return el(
    "section",
    { class: "similar", "aria-label": "Similar past incidents" },
    el("h4", {}, "Similar past incidents"),
    el(
      "ol",
      {},
      incidents.map((incident) =>
        el(
          "li",
          { class: "incident" },
          el("strong", {}, incident.accident_class),
          ` · ${incident.date} · ${incident.mine} · similarity ${Number(incident.score).toFixed(2)} `,
          webLink(incident.url),
          el("p", { class: "excerpt" }, incident.excerpt),
        ),
      ),
    ),
  );
}
