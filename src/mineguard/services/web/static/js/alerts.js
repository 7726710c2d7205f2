// The alerts view: every alert the role may see, by severity, kept live from the stream, each open one
// with its escalation deadline counting down; the chosen alert's evidence bundle (js/evidence.js),
// and acknowledge / resolve offered only to roles whose permissions allow it.

import { inputPairs } from "./alert_inputs.js";
import { api } from "./api.js";
import { ruleThatFired, readingsAround, similarIncidents } from "./evidence.js";
import { countdown, definitionList, el, severityOf, stateOf, timeOf } from "./format.js";

const REASONS = [
  ["true_alarm", "True alarm"],
  ["false_alarm", "False alarm"],
  ["maintenance", "Maintenance"],
  ["test", "Test"],
];

function order(a, b) {
  const cleared = (alert) => (alert.state === "resolved" ? 1 : 0);
  return cleared(a) - cleared(b) || severityOf(b.severity).rank - severityOf(a.severity).rank || b.id - a.id;
}

export class AlertsView {
  /** @param {(alerts: object[]) => void} onChange told the whole list after every change (the map's sensor levels) */
  constructor(me, onChange = () => {}) {
    this.permissions = new Set(me.permissions);
    this.onChange = onChange;
    this.alerts = new Map();
    this.selected = null;
    this.objectUrls = [];
    this.list = document.getElementById("alert-list");
    this.detail = document.getElementById("alert-detail");
    this.timer = setInterval(() => this.tick(), 1000);
  }

  async load() {
    const alerts = await api.get("/alerts?limit=200");
    this.alerts = new Map(alerts.map((alert) => [alert.id, alert]));
    this.render();
    if (this.alerts.has(this.selected)) this.showDetail(this.alerts.get(this.selected));
  }

  /** An ``alert.*`` event from the stream: read that alert again (its evidence and deadline) and redraw. */
  async onEvent(event) {
    if (!event.type.startsWith("alert.")) return;
    const alert = await api.get(`/alerts/${event.data.id}`);
    this.alerts.set(alert.id, alert);
    this.render();
    if (alert.id === this.selected) this.showDetail(alert);
  }

  stop() {
    clearInterval(this.timer);
    this.revokeUrls();
  }

  render() {
    const alerts = [...this.alerts.values()].sort(order);
    this.list.replaceChildren(...alerts.map((alert) => this.item(alert)));
    document.getElementById("alerts-empty").hidden = alerts.length > 0;
    const open = alerts.filter((alert) => alert.state !== "resolved").length;
    document.getElementById("alert-count").textContent = `(${open} active)`;
    this.tick();
    this.onChange(alerts);
  }

  item(alert) {
    const severity = severityOf(alert.severity);
    const state = stateOf(alert);
    const chosen = alert.id === this.selected;
    return el(
      "li",
      { class: `alert sev-${alert.severity} state-${state.key}`, "data-alert-id": alert.id, "data-state": state.key },
      el(
        "button",
        { type: "button", class: "alert-open", "aria-pressed": chosen ? "true" : "false", onclick: () => this.select(alert.id) },
        el("span", { class: "sev", "aria-hidden": "true" }, severity.icon),
        el("span", { class: "sev-label" }, severity.label),
        el("span", { class: "title" }, alert.title),
        el("span", { class: `state state-${state.key}` }, el("span", { "aria-hidden": "true" }, `${state.icon} `), state.label),
        el("span", { class: "zone" }, alert.zone_id ?? "site"),
        alert.next_escalation_at && alert.state === "open"
          ? el("span", { class: "deadline", "data-deadline": alert.next_escalation_at }, "")
          : el("span", { class: "opened" }, `since ${timeOf(alert.opened_at)}`),
      ),
    );
  }

  tick() {
    for (const span of document.querySelectorAll("[data-deadline]")) {
      span.textContent = `escalates in ${countdown(span.dataset.deadline)}`;
    }
  }

  select(id) {
    this.selected = id;
    this.render();
    this.showDetail(this.alerts.get(id));
    this.detail.focus();
  }

  revokeUrls() {
    for (const url of this.objectUrls) URL.revokeObjectURL(url);
    this.objectUrls = [];
  }

  showDetail(alert) {
    this.revokeUrls();
    const severity = severityOf(alert.severity);
    const state = stateOf(alert);
    const evidence = alert.evidence ?? {};
    const inputs = inputPairs(alert);
    this.detail.replaceChildren(
      el("h3", {}, el("span", { "aria-hidden": "true" }, `${severity.icon} `), `${severity.label}: ${alert.title}`),
      el("p", { class: "message" }, alert.message),
      definitionList([
        ["State", `${state.label}${alert.acknowledged_by ? ` by ${alert.acknowledged_by}` : ""}`],
        ["Zone", alert.zone_id],
        ["Opened", timeOf(alert.opened_at)],
        ["Escalation", alert.next_escalation_at && alert.state === "open" ? el("span", { "data-deadline": alert.next_escalation_at }, "") : "no deadline"],
      ]),
      ruleThatFired(alert),
      el("h4", {}, "Inputs"),
      inputs.length
        ? el("ul", { class: "inputs" }, inputs.map(([signal, source]) => el("li", {}, el("code", {}, signal), " ← ", source)))
        : el("p", { class: "empty" }, "No inputs recorded."),
      readingsAround(alert, this.permissions),
      this.media(evidence.media ?? []),
      similarIncidents(evidence.similar_incidents ?? []),
      this.actions(alert),
    );
    this.tick();
  }

  media(items) {
    if (!items.length) return el("p", { class: "empty" }, "No camera snapshot with this alert.");
    const figures = items.map((item) => {
      const image = el("img", { class: "snapshot", alt: `camera snapshot of event ${item.event}` });
      if (item.snapshot) this.show(image, item.snapshot, "snapshot");
      // other pictures of the event by name, e.g. the before / after maps of a terrain change
      const named = Object.entries(item)
        .filter(([name]) => !["event", "snapshot", "clip"].includes(name))
        .map(([name, path]) => {
          const picture = el("img", { class: "snapshot", alt: `${name} picture of event ${item.event}` });
          this.show(picture, path, name);
          return el("figure", {}, picture, el("figcaption", {}, name));
        });
      const clip = item.clip ? el("button", { type: "button", class: "clip", onclick: (e) => this.playClip(item.clip, e.target) }, "Play clip") : null;
      if (!item.snapshot && named.length) return el("figure", {}, el("figcaption", {}, `event ${item.event}`), ...named);
      return el("figure", {}, image, el("figcaption", {}, `camera event ${item.event} `, clip), ...named);
    });
    return el("section", { class: "media", "aria-label": "Camera evidence" }, el("h4", {}, "Camera"), figures);
  }

  show(image, path, name) {
    api.blobUrl(path).then(
      (url) => {
        this.objectUrls.push(url);
        image.src = url;
      },
      (error) => image.replaceWith(el("p", { class: "error" }, `${name}: ${error.message}`)),
    );
  }

  async playClip(path, button) {
    try {
      const url = await api.blobUrl(path);
      this.objectUrls.push(url);
      button.replaceWith(el("video", { src: url, controls: true, autoplay: true, muted: true, class: "clip" }));
    } catch (error) {
      button.replaceWith(el("p", { class: "error" }, `clip: ${error.message}`));
    }
  }

  actions(alert) {
    const forms = [];
    if (alert.state === "open" && this.permissions.has("ack_alerts")) forms.push(this.ackForm(alert));
    if (alert.state !== "resolved" && this.permissions.has("resolve_alerts")) forms.push(this.resolveForm(alert));
    return el("div", { class: "actions" }, forms);
  }

  ackForm(alert) {
    const error = el("p", { class: "error", role: "alert" });
    const form = el(
      "form",
      { class: "ack-form", "aria-label": "Acknowledge" },
      el(
        "fieldset",
        {},
        el("legend", {}, "Acknowledge — reason"),
        REASONS.map(([value, label], i) =>
          el("label", { class: "choice" }, el("input", { type: "radio", name: "reason", value, checked: i === 0 }), ` ${label}`),
        ),
      ),
      el("label", { for: `ack-note-${alert.id}` }, "Note (optional)"),
      el("input", { id: `ack-note-${alert.id}`, name: "note", maxlength: "1000" }),
      error,
      el("button", { type: "submit", class: "ack" }, "Acknowledge"),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const body = { reason: data.get("reason") };
      if (data.get("note")) body.note = data.get("note");
      this.send(`/alerts/${alert.id}/ack`, body, error);
    });
    return form;
  }

  resolveForm(alert) {
    const error = el("p", { class: "error", role: "alert" });
    const form = el(
      "form",
      { class: "resolve-form", "aria-label": "Resolve" },
      el("label", { for: `resolution-${alert.id}` }, "Resolution"),
      el("input", { id: `resolution-${alert.id}`, name: "resolution", maxlength: "300" }),
      error,
      el("button", { type: "submit", class: "resolve" }, "Resolve (clear)"),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send(`/alerts/${alert.id}/resolve`, { resolution: new FormData(form).get("resolution") }, error);
    });
    return form;
  }

  async send(path, body, errorNode) {
    try {
      const alert = await api.post(path, body);
      this.alerts.set(alert.id, alert);
      this.render();
      this.showDetail(alert);
    } catch (error) {
      errorNode.textContent = error.message; // the API's own words, at the form
    }
  }
}
