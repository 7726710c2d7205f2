// The people view: who is underground now, by zone; the open headcount alerts ("miner not accounted
// for" first); the rescue list with each person's nearest refuge, and its CSV and PDF. Only for roles that
// may read the rescue list (``view_crew``): every read is audited by the API, so it reads only while
// on screen, at most once a second from the stream, and every 30 s for people outside the user's
// scope, whose moves the stream does not send to them.

import { api } from "./api.js";
import { el, severityOf, timeOf } from "./format.js";
import { Refresher } from "./refresh.js";

export const MAY_READ_PEOPLE = "view_crew";
const NOT_ACCOUNTED = "headcount.not_accounted_for";
const PERSON_EVENTS = new Set(["asset.position", "asset.motion", "help.called"]);

function byUrgency(a, b) {
  const first = (alert) => (alert.rule_id === NOT_ACCOUNTED ? 1 : 0);
  return first(b) - first(a) || severityOf(b.severity).rank - severityOf(a.severity).rank || b.id - a.id;
}

export class PeopleView {
  constructor(me, onError) {
    this.allowed = me.permissions.includes(MAY_READ_PEOPLE);
    this.onError = onError;
    this.refresher = new Refresher(() => this.load(), { gapMs: 1000, everyMs: 30_000, onError });
    document.getElementById("people-denied").hidden = this.allowed;
    document.getElementById("people-body").hidden = !this.allowed;
    const csv = document.getElementById("export-csv");
    csv.onclick = () => this.exportFile("/rescue-list.csv", "rescue-list.csv");
    const pdf = el("button", { type: "button", id: "export-pdf" }, "Export PDF");
    pdf.onclick = () => this.exportFile("/rescue-list.pdf", "rescue-list.pdf");
    csv.after(pdf);
  }

  show(shown) {
    if (this.allowed) this.refresher.show(shown);
  }

  /** Stream events that can change who is underground: gate passages, tag fixes, headcount alerts. */
  onEvent(event) {
    if (!this.allowed) return;
    const aboutPerson = event.type === "event" && Boolean(event.data.asset_id); // a gate passage, a tag event
    if (aboutPerson || event.type.startsWith("alert.") || PERSON_EVENTS.has(event.type)) {
      this.refresher.request();
    }
  }

  resync() {
    if (this.allowed) this.refresher.request(0);
  }

  stop() {
    this.refresher.stop();
  }

  async load() {
    const [listing, alerts] = await Promise.all([api.get("/rescue-list"), api.get("/alerts?state=active&limit=500")]);
    this.renderAlerts(alerts.filter((alert) => alert.rule_id.startsWith("headcount.")).sort(byUrgency));
    this.renderZones(listing);
    this.renderTable(listing.people);
    document.getElementById("people-updated").textContent = `as of ${timeOf(listing.at)}`;
  }

  renderAlerts(alerts) {
    const list = document.getElementById("people-alerts");
    list.replaceChildren(
      ...alerts.map((alert) => {
        const severity = severityOf(alert.severity);
        return el(
          "li",
          { class: `headcount-alert sev-${alert.severity}`, "data-rule": alert.rule_id },
          el("span", { class: "sev", "aria-hidden": "true" }, severity.icon),
          el("span", { class: "sev-label" }, severity.label),
          el("span", { class: "title" }, alert.title),
          el("span", { class: "opened" }, `since ${timeOf(alert.opened_at)}`),
        );
      }),
    );
    document.getElementById("people-alerts-empty").hidden = alerts.length > 0;
  }

  renderZones(listing) {
    const hidden = listing.hidden ? `, ${listing.hidden} not in your scope` : "";
    document.getElementById("people-total").textContent = `(${listing.total} underground${hidden})`;
    document.getElementById("zone-counts").replaceChildren(
      ...listing.zones.map((zone) =>
        el("li", { "data-zone-id": zone.zone_id }, el("span", { class: "zone-name" }, zone.zone_name ?? zone.zone_id), el("strong", {}, zone.count)),
      ),
    );
    document.getElementById("zone-counts-empty").hidden = listing.zones.length > 0;
  }

  renderTable(people) {
    document.getElementById("rescue-rows").replaceChildren(
      ...people.map((person) =>
        el(
          "tr",
          { "data-person-id": person.person_id ?? "" },
          el("td", {}, person.name ?? el("span", { class: "hidden-name" }, "hidden (not in your scope)")),
          el("td", {}, person.zone_name ?? person.zone_id ?? "unknown"),
          el("td", {}, timeOf(person.last_seen)),
          el("td", {}, person.refuge ? `${person.refuge.name} (${person.refuge.hops} ${person.refuge.hops === 1 ? "hop" : "hops"})` : "none reachable"),
        ),
      ),
    );
    document.getElementById("rescue-empty").hidden = people.length > 0;
  }

  /** The CSV or PDF behind the bearer token, handed to the browser as a download. */
  async exportFile(path, fallbackName) {
    const error = document.getElementById("people-error");
    error.textContent = "";
    try {
      const { url, filename } = await api.download(path);
      const link = el("a", { href: url, download: filename ?? fallbackName, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (failure) {
      error.textContent = `export: ${failure.message}`;
    }
  }
}
