// The rule editor's form: inputs bound to a path in the draft rules (``thresholds[0].levels[1].threshold``),
// the same path the API's 422 ``details`` give, so each message lands at its input. What a person typed
// is sent as typed when it is not a number: the API, not the page, says what is wrong with it.

import { el } from "./format.js";

export const SEVERITIES = ["info", "warning", "critical", "emergency"];
const ZONE_KINDS = ["", "roadway", "working_face", "shaft", "gate", "refuge", "airway", "station"];
const COMPARE = [">=", "<="];
const CONDITION_OPS = [">=", "<=", ">", "<", "==", "!=", "rising", "falling", "present"];
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** ``["thresholds", 0, "unit"]`` -> ``thresholds[0].unit`` (as the API writes ``field``). */
export function pathOf(loc) {
  return loc.map((part) => (typeof part === "number" ? `[${part}]` : `.${part}`)).join("").replace(/^\./, "");
}

function read(object, loc) {
  return loc.reduce((node, key) => (node == null ? undefined : node[key]), object);
}

function write(object, loc, value) {
  const parent = read(object, loc.slice(0, -1));
  const key = loc.at(-1);
  if (value === undefined) delete parent[key];
  else parent[key] = value;
}

/** Text as typed -> the JSON value sent: a number when it reads as one, else the text itself. */
function parse(text, spec) {
  const trimmed = text.trim();
  if (trimmed === "") return spec.empty === "omit" ? undefined : spec.empty === "null" ? null : "";
  if (spec.type === "number" || spec.type === "value") {
    if (NUMBER.test(trimmed) && Number.isFinite(Number(trimmed))) return Number(trimmed);
    if (spec.type === "value" && (trimmed === "true" || trimmed === "false")) return trimmed === "true";
    return trimmed; // not a number: the API's message will say so, at this field
  }
  return trimmed;
}

function shown(value) {
  return value === null || value === undefined ? "" : String(value);
}

/** The form over ``draft`` (mutated in place as inputs change); ``onChange`` after each edit,
 * ``onStructure`` after a rule, level or condition was added or removed (the form is drawn again). */
export class RuleForm {
  constructor(draft, { units = {}, onChange, onStructure }) {
    this.draft = draft;
    this.units = units; // sensor kind -> the units its thresholds may be in
    this.onChange = onChange;
    this.onStructure = onStructure;
    this.serial = 0;
    this.lists = [];
  }

  /** One labelled input (or select) bound to ``loc``. */
  field(loc, label, spec = {}) {
    const id = `rule-${++this.serial}`;
    const path = pathOf(loc);
    const value = read(this.draft, loc);
    let input;
    if (spec.options) {
      input = el("select", { id, "data-path": path }, ...spec.options.map((o) => el("option", { value: o, selected: o === shown(value) }, o || "—")));
    } else {
      const attributes = { id, "data-path": path, value: shown(value), autocomplete: "off", spellcheck: "false" };
      if (spec.type === "number") attributes.inputmode = "decimal";
      if (spec.list) attributes.list = spec.list;
      input = el("input", attributes);
      if (spec.wide) input.classList.add("wide");
    }
    input.addEventListener(spec.options ? "change" : "input", () => {
      write(this.draft, loc, spec.options ? input.value || null : parse(input.value, spec));
      this.onChange();
    });
    return el("div", { class: `field${spec.wide ? " wide" : ""}` }, el("label", { for: id }, label), input);
  }

  checkbox(loc, label) {
    const id = `rule-${++this.serial}`;
    const input = el("input", { id, type: "checkbox", "data-path": pathOf(loc), checked: Boolean(read(this.draft, loc)) });
    input.addEventListener("change", () => {
      write(this.draft, loc, input.checked);
      this.onChange();
    });
    return el("div", { class: "field check" }, input, el("label", { for: id }, label));
  }

  button(label, act, extra = {}) {
    return el("button", { type: "button", ...extra, onclick: () => (act(), this.onStructure()) }, label);
  }

  /** A datalist of the units ``kind`` takes (``belt-1.bearing_temp`` takes bearing_temp's): suggestions only,
   * anything typed is sent and judged by the API. */
  unitList(kind) {
    const base = String(kind ?? "").split(".").at(-1);
    const units = this.units[base];
    if (!units) return null;
    const id = `units-${++this.serial}`;
    this.lists.push(el("datalist", { id }, ...units.map((unit) => el("option", { value: unit }))));
    return id;
  }

  /** The datalists the fields drawn so far refer to (add them to the page with the fields). */
  takeLists() {
    return this.lists.splice(0);
  }

  threshold(i) {
    const rule = this.draft.thresholds[i];
    const at = (...rest) => ["thresholds", i, ...rest];
    const levels = rule.levels.map((_, j) =>
      el(
        "div",
        { class: "level", "data-path": pathOf(at("levels", j)) },
        this.field(at("levels", j, "severity"), "Severity", { options: SEVERITIES }),
        this.field(at("levels", j, "threshold"), "Threshold", { type: "number", empty: "keep" }),
        this.button("Remove level", () => rule.levels.splice(j, 1), { class: "small", "aria-label": `Remove level ${j + 1} of ${rule.id}` }),
      ),
    );
    return el(
      "fieldset",
      { class: "rule", "data-path": pathOf(at()), "data-rule-id": rule.id },
      el("legend", {}, `Threshold ${rule.id}`),
      el(
        "div",
        { class: "row" },
        this.field(at("id"), "Rule id", { empty: "keep" }),
        this.field(at("kind"), "Sensor kind", { empty: "keep" }),
        this.field(at("zone"), "Zone id", { empty: "null" }),
        this.field(at("zone_kind"), "Zone kind", { options: ZONE_KINDS }),
        this.field(at("op"), "Raised when", { options: COMPARE }),
        this.field(at("unit"), "Unit", { empty: "null", list: this.unitList(rule.kind) }),
      ),
      el("div", { class: "levels", "data-path": pathOf(at("levels")) }, ...levels),
      el(
        "div",
        { class: "row" },
        this.button("Add level", () => rule.levels.push({ severity: "emergency", threshold: "" }), { class: "small" }),
        this.field(at("for_s"), "Hold (s)", { type: "number", empty: "omit" }),
        this.field(at("clear_hysteresis"), "Clear hysteresis", { type: "number", empty: "omit" }),
        this.field(at("clear_for_s"), "Clear after (s)", { type: "number", empty: "omit" }),
      ),
      this.field(at("action"), "Action text ({zone} is filled in)", { empty: "null", wide: true }),
      this.button("Remove this threshold", () => this.draft.thresholds.splice(i, 1), { class: "remove" }),
    );
  }

  condition(i, group, j) {
    const at = (...rest) => ["combined", i, group, j, ...rest];
    return el(
      "div",
      { class: "condition row", "data-path": pathOf(at()) },
      el("span", { class: "group" }, group === "all" ? "and" : "or"),
      this.field(at("signal"), "Signal", { empty: "keep" }),
      this.field(at("zone"), "Zone id", { empty: "null" }),
      this.field(at("op"), "Op", { options: CONDITION_OPS }),
      this.field(at("value"), "Value", { type: "value", empty: "null" }),
      this.field(at("rate_per_min"), "Rate /min", { type: "number", empty: "null" }),
      this.field(at("window_s"), "Window (s)", { type: "number", empty: "omit" }),
      this.field(at("max_age_s"), "Max age (s)", { type: "number", empty: "null" }),
      this.button("Remove", () => this.draft.combined[i][group].splice(j, 1), { class: "small", "aria-label": `Remove condition ${j + 1}` }),
    );
  }

  combined(i) {
    const rule = this.draft.combined[i];
    const at = (...rest) => ["combined", i, ...rest];
    const groups = ["all", "any"].map((group) =>
      el(
        "div",
        { class: "conditions", "data-path": pathOf(at(group)) },
        el("h4", {}, group === "all" ? "All of" : "Any of"),
        ...(rule[group] ?? []).map((_, j) => this.condition(i, group, j)),
        this.button(`Add an '${group}' condition`, () => (rule[group] ??= []).push({ signal: "", op: ">=", value: null }), { class: "small" }),
      ),
    );
    return el(
      "fieldset",
      { class: "rule", "data-path": pathOf(at()), "data-rule-id": rule.id },
      el("legend", {}, `Combined ${rule.id}`),
      el(
        "div",
        { class: "row" },
        this.field(at("id"), "Rule id", { empty: "keep" }),
        this.field(at("severity"), "Severity", { options: SEVERITIES }),
        this.field(at("zone"), "Reported zone", { empty: "null" }),
        this.field(at("for_s"), "Hold (s)", { type: "number", empty: "omit" }),
        this.field(at("clear_for_s"), "Clear after (s)", { type: "number", empty: "omit" }),
        this.field(at("max_age_s"), "Max age (s)", { type: "number", empty: "omit" }),
      ),
      ...groups,
      this.field(at("action"), "Action text", { empty: "null", wide: true }),
      this.button("Remove this combined rule", () => this.draft.combined.splice(i, 1), { class: "remove" }),
    );
  }
}
