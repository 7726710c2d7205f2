// The rules view (super-manager, ``set_thresholds``): the site's thresholds and combined rules as a form,
// saved whole through PUT /api/v1/rules on the version it was read at. A refused edit changes nothing:
// the API's message for each field (its 422 ``details``) is shown at that field, and the rules in force
// and their version stay. Below: the regulation defaults in force, and the version history.

import { ApiError, api } from "./api.js";
import { el, severityOf, timeOf } from "./format.js";
import { RuleForm, pathOf } from "./rule_fields.js";
import { SensitivityPanel } from "./sensitivity.js";

export const MAY_EDIT_RULES = "set_thresholds";
const $ = (id) => document.getElementById(id);

function levelsText(rule) {
  const unit = rule.unit ? ` ${rule.unit}` : "";
  return rule.levels.map((level) => `${severityOf(level.severity).icon} ${level.severity} ${rule.op} ${level.threshold}${unit}`).join(", ");
}

/** The regulation a default cites, on one line (the whole citation on hover and for screen readers). */
function sourceCell(rule) {
  const text = [...new Set(rule.levels.map((level) => level.source).filter(Boolean))].join("; ");
  return el("td", { class: "hint source", title: text }, text);
}

export class RulesView {
  constructor(me, onError) {
    this.allowed = me.permissions.includes(MAY_EDIT_RULES);
    this.onError = onError;
    this.current = null; // GET /api/v1/rules
    this.draft = null;
    this.dirty = false;
    this.shown = false;
    this.sensitivity = new SensitivityPanel($("sensitivity"), onError);
    $("nav-rules").hidden = !this.allowed; // nobody else is offered the view (the API refuses them too)
    $("rules-save").onclick = () => this.save();
    $("rules-discard").onclick = () => this.load();
  }

  show(shown) {
    this.shown = shown && this.allowed;
    if (this.shown && !this.current) this.load().catch(this.onError);
  }

  onEvent(event) {
    if (!this.allowed || event.type !== "rules.changed" || this.saving) return; // our own save reloads itself
    if (event.data.version === this.current?.version) return;
    if (!this.dirty) this.load().catch(this.onError);
    else $("rules-status").textContent = `version ${event.data.version} was saved by ${event.data.actor} — discard your changes to see it`;
  }

  resync() {
    if (this.shown && !this.dirty) this.load().catch(this.onError);
  }

  stop() {
    this.current = null;
  }

  async load() {
    const [current, versions] = await Promise.all([api.get("/rules"), api.get("/rules/versions?limit=20"), this.sensitivity.load()]);
    this.current = current;
    this.draft = structuredClone(current.rules);
    this.dirty = false;
    $("rules-reason").value = "";
    $("rules-status").textContent = "";
    this.renderVersion();
    this.renderForm();
    this.renderHistory(versions);
  }

  renderVersion() {
    const { version, running_version: running, origin, actor, created_at: at } = this.current;
    $("rules-version").textContent = `version ${version}`;
    $("rules-version").dataset.version = version;
    const runs = running === version ? "in force" : running == null ? "not running yet" : `running: version ${running}`;
    $("rules-meta").textContent = `${runs} · from ${origin === "file" ? "the site file" : "an edit"} by ${actor}, ${timeOf(at)}`;
  }

  renderForm() {
    const form = new RuleForm(this.draft, {
      units: this.current.units,
      onChange: () => this.edited(),
      onStructure: () => (this.edited(), this.renderForm()),
    });
    const own = new Set(this.draft.thresholds.map((rule) => rule.id));
    const defaults = this.current.regulation_defaults.filter((rule) => !own.has(rule.id));
    $("rules-defaults").replaceChildren(
      form.checkbox(["regulation_defaults"], "Apply the regulation's cited thresholds (below) to this site"),
      el(
        "table",
        { class: "rules-table", hidden: !this.draft.regulation_defaults },
        el("thead", {}, el("tr", {}, ...["Rule", "Where", "Levels (canonical unit)", "Source", ""].map((h) => el("th", { scope: "col" }, h)))),
        el(
          "tbody",
          {},
          ...defaults.map((rule) =>
            el(
              "tr",
              { "data-rule-id": rule.id },
              el("td", {}, rule.id),
              el("td", {}, rule.zone_kind ?? "all zones"),
              el("td", {}, levelsText(rule)),
              sourceCell(rule),
              el("td", {}, form.button("Override", () => this.draft.thresholds.push(structuredClone(rule)), { "aria-label": `Override ${rule.id}` })),
            ),
          ),
        ),
      ),
    );
    const blank = { id: "", kind: "", zone_kind: null, op: ">=", unit: null, levels: [{ severity: "warning", threshold: "" }] };
    $("rules-thresholds").replaceChildren(
      ...this.draft.thresholds.map((_, i) => form.threshold(i)),
      form.button("Add a threshold", () => this.draft.thresholds.push(structuredClone(blank))),
      ...form.takeLists(),
    );
    const condition = { signal: "", zone: null, op: ">=", value: null };
    $("rules-combined").replaceChildren(
      ...this.draft.combined.map((_, i) => form.combined(i)),
      form.button("Add a combined rule", () => this.draft.combined.push({ id: "", severity: "warning", all: [structuredClone(condition)], any: [] })),
    );
    $("rules-errors").replaceChildren();
  }

  renderHistory(versions) {
    $("rules-history").replaceChildren(
      ...versions.map((v) =>
        el(
          "tr",
          { "data-version": v.version, class: v.version === this.current.version ? "current" : "" },
          el("td", {}, v.version === this.current.version ? `${v.version} (current)` : v.version),
          el("td", {}, v.origin === "file" ? "site file" : "edit"),
          el("td", {}, v.actor),
          el("td", {}, timeOf(v.created_at)),
          el("td", {}, v.reason ?? ""),
        ),
      ),
    );
  }

  edited() {
    this.dirty = true;
    $("rules-save").disabled = false;
    $("rules-status").textContent = "unsaved changes";
  }

  async save() {
    this.clearErrors();
    $("rules-status").textContent = "saving…";
    const reason = $("rules-reason").value.trim() || null;
    this.saving = true;
    try {
      const saved = await api.put("/rules", { rules: this.draft, expected_version: this.current.version, reason });
      await this.load();
      $("rules-status").textContent = `saved as version ${saved.version}${saved.running_version === saved.version ? ", in force" : ""}`;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status === 401) throw error;
      $("rules-status").textContent = `not saved — version ${this.current.version} stays in force`;
      if (error.status === 422 && error.details.length) this.showErrors(error.details);
      else $("rules-errors").replaceChildren(el("li", {}, error.message));
    } finally {
      this.saving = false;
    }
  }

  clearErrors() {
    for (const node of document.querySelectorAll("#view-rules .field-error")) node.remove();
    for (const node of document.querySelectorAll("#view-rules [aria-invalid]")) node.removeAttribute("aria-invalid");
    $("rules-errors").replaceChildren();
  }

  /** Each problem at the input its ``loc`` names, else at the nearest rule, level or list holding it. */
  showErrors(details) {
    let first = null;
    for (const detail of details) {
      const text = detail.fix ? `${detail.message} — ${detail.fix}` : detail.message;
      const loc = detail.loc[0] === "rules" ? detail.loc.slice(1) : detail.loc;
      let target = null;
      for (let depth = loc.length; depth > 0 && !target; depth--) {
        target = document.querySelector(`#view-rules [data-path="${CSS.escape(pathOf(loc.slice(0, depth)))}"]`);
      }
      if (!target) {
        $("rules-errors").append(el("li", {}, `${detail.field}: ${text}`));
        continue;
      }
      const id = `error-${pathOf(loc).replace(/[^\w-]/g, "_")}`;
      const message = el("p", { class: "field-error", id, "data-for": pathOf(loc) }, el("span", { "aria-hidden": "true" }, "⚠ "), text);
      if (target.matches("input, select")) {
        target.setAttribute("aria-invalid", "true");
        target.setAttribute("aria-describedby", id);
        target.closest(".field").append(message);
      } else if (target.matches("fieldset")) {
        target.querySelector("legend").after(message);
      } else {
        target.prepend(message);
      }
      first ??= target.matches("input, select") ? target : message;
    }
    $("rules-status").textContent += ` — ${details.length === 1 ? "1 problem" : `${details.length} problems`} marked below`;
    first?.scrollIntoView({ block: "center" });
    if (first?.focus) first.focus();
  }
}
