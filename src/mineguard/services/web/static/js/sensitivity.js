// The monitoring sensitivities (fall and faint limits, noise), each value with its unit, in the rules
// view: GET /api/v1/sensitivity, and PUT of the changed ones (super-manager). A refused change is shown
// at its value or unit in the API's words (its 422 ``details``) and nothing changes.

import { ApiError, api } from "./api.js";
import { el } from "./format.js";

const NAMES = {
  noise_g: "Noise (still below)",
  freefall_g: "Free fall (below)",
  fall_impact_g: "Fall impact (above)",
  fall_still_s: "Still after a fall",
  faint_still_s: "Still before a faint alarm",
};
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

export class SensitivityPanel {
  constructor(root, onError) {
    this.root = root;
    this.onError = onError;
    this.current = null;
  }

  async load() {
    this.current = await api.get("/sensitivity");
    this.render();
  }

  render() {
    const { values, units } = this.current;
    const rows = Object.keys(units).map((key) => {
      const value = el("input", { id: `sense-${key}-value`, "data-sense": `${key}.value`, value: values[key], inputmode: "decimal", autocomplete: "off" });
      const unit = el("input", { id: `sense-${key}-unit`, "data-sense": `${key}.unit`, value: units[key], autocomplete: "off", class: "unit" });
      return el(
        "div",
        { class: "row sense", "data-key": key },
        el("div", { class: "field" }, el("label", { for: value.id }, `${NAMES[key] ?? key} (${key})`), value),
        el("div", { class: "field" }, el("label", { for: unit.id }, "Unit"), unit),
      );
    });
    this.status = el("p", { class: "hint", role: "status", "aria-live": "polite" });
    this.root.replaceChildren(...rows, el("button", { type: "button", onclick: () => this.save().catch(this.onError) }, "Save sensitivities"), this.status);
  }

  /** The rows whose value or unit differ from what is set, as the API's ``changes``. */
  changes() {
    const { values, units } = this.current;
    const out = [];
    for (const key of Object.keys(units)) {
      const typed = this.root.querySelector(`[data-sense="${key}.value"]`).value.trim();
      const unit = this.root.querySelector(`[data-sense="${key}.unit"]`).value.trim();
      const value = NUMBER.test(typed) && Number.isFinite(Number(typed)) ? Number(typed) : typed; // else the API says why
      if (value !== values[key] || unit !== units[key]) out.push({ key, value, unit });
    }
    return out;
  }

  async save() {
    for (const node of this.root.querySelectorAll(".field-error")) node.remove();
    for (const node of this.root.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
    const changes = this.changes();
    if (!changes.length) {
      this.status.textContent = "nothing changed";
      return;
    }
    try {
      this.current = { ...this.current, ...(await api.put("/sensitivity", { changes })) };
      this.render();
      this.status.textContent = `saved: ${changes.map((change) => change.key).join(", ")}`;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status === 401) throw error;
      this.status.textContent = "not saved — the sensitivities in force stay";
      for (const detail of error.details.length ? error.details : [{ loc: [], message: error.message }]) {
        const [, index, field] = detail.loc;
        const input = index === undefined ? null : this.root.querySelector(`[data-sense="${changes[index]?.key}.${field === "unit" ? "unit" : "value"}"]`);
        const text = detail.fix ? `${detail.message} — ${detail.fix}` : detail.message;
        const message = el("p", { class: "field-error" }, el("span", { "aria-hidden": "true" }, "⚠ "), text);
        if (input) {
          input.setAttribute("aria-invalid", "true");
          input.closest(".field").append(message);
        } else {
          this.status.after(message);
        }
      }
    }
  }
}
