// The audit view: the tamper-evident log, newest first, and the check of its hash chain
// (GET /api/v1/audit/verify) in plain words. Only for roles the API lets read the log (``view_audit``):
// for the others the nav entry is not there at all. The stream sends no event per entry, so it reads
// when the view comes on screen and when asked ("Check again"), never on a timer.

import { api } from "./api.js";
import { el, timeOf } from "./format.js";
import { Refresher } from "./refresh.js";

export const MAY_READ_AUDIT = "view_audit";
const LIMITS = [50, 200, 1000];

function chainText(report) {
  if (report.ok) {
    const anchors = report.anchors_checked ? `, ${report.anchors_checked} outside checkpoints agree` : "";
    const key = report.key_id ? ` with key ${report.key_id}` : "";
    return { key: "intact", icon: "✓", label: `Chain intact — ${report.entries} entries checked${key}${anchors}` };
  }
  const where = report.first_bad_seq === null ? "" : ` at entry ${report.first_bad_seq}`;
  const cause = report.cause ? ` (${report.cause.replaceAll("_", " ")})` : "";
  return { key: "broken", icon: "✖", label: `Chain broken${where}${cause}: ${report.problem ?? "unknown problem"}` };
}

function payloadText(payload) {
  const text = JSON.stringify(payload);
  return text === "{}" ? "" : text;
}

export class AuditView {
  constructor(me, onError) {
    this.allowed = me.permissions.includes(MAY_READ_AUDIT);
    document.querySelector('#nav [data-view="audit"]').hidden = !this.allowed;
    this.limit = LIMITS[0];
    this.refresher = new Refresher(() => this.load(), { gapMs: 1000, onError });
    document.getElementById("audit-refresh").onclick = () => this.refresher.request(0);
    const choice = document.getElementById("audit-limit");
    choice.replaceChildren(...LIMITS.map((n) => el("option", { value: n, selected: n === this.limit }, `newest ${n}`)));
    choice.onchange = () => {
      this.limit = Number(choice.value);
      this.refresher.request(0);
    };
  }

  show(shown) {
    if (!this.allowed) return;
    if (shown) this.refresher.stale = true; // entries are written all the time and no event says so
    this.refresher.show(shown);
  }

  stop() {
    this.refresher.stop();
  }

  async load() {
    const [entries, report] = await Promise.all([api.get(`/audit?limit=${this.limit}`), api.get("/audit/verify")]);
    const chain = chainText(report);
    const status = document.getElementById("audit-chain");
    status.dataset.chain = chain.key;
    status.className = `chain chain-${chain.key}`;
    status.replaceChildren(el("span", { "aria-hidden": "true" }, `${chain.icon} `), chain.label);
    document.getElementById("audit-warnings").replaceChildren(...report.warnings.map((warning) => el("li", {}, warning)));
    document.getElementById("audit-checked").textContent = `checked ${timeOf(new Date().toISOString())}`;
    document.getElementById("audit-rows").replaceChildren(
      ...entries.map((entry) =>
        el(
          "tr",
          { "data-seq": entry.seq },
          el("td", {}, entry.seq),
          el("td", {}, timeOf(entry.t)),
          el("td", {}, entry.actor),
          el("td", {}, el("code", {}, entry.action)),
          el("td", {}, entry.subject),
          el("td", { class: "payload", title: payloadText(entry.payload) }, payloadText(entry.payload)),
        ),
      ),
    );
    document.getElementById("audit-empty").hidden = entries.length > 0;
  }
}
