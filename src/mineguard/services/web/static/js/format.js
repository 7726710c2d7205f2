// Words and symbols shared by the views: severity is always an icon and a word, never colour alone.

export const SEVERITY = {
  emergency: { rank: 4, icon: "✖", label: "Emergency" },
  critical: { rank: 3, icon: "▲", label: "Critical" },
  warning: { rank: 2, icon: "◆", label: "Warning" },
  info: { rank: 1, icon: "ℹ", label: "Info" },
};

export function severityOf(name) {
  return SEVERITY[name] ?? { rank: 0, icon: "?", label: name };
}

/** The control room's four states: raised, escalated (open past its deadline), acknowledged, cleared. */
export function stateOf(alert) {
  if (alert.state === "resolved") return { key: "cleared", icon: "✓", label: "Cleared" };
  if (alert.state === "acknowledged") return { key: "acknowledged", icon: "☑", label: "Acknowledged" };
  if (alert.escalation_level > 0) return { key: "escalated", icon: "⇧", label: `Escalated (rung ${alert.escalation_level})` };
  return { key: "raised", icon: "!", label: "Raised" };
}

/** A compact number: ``digits`` significant digits, no trailing zeros (3.43 not 3.430849620763909);
 * "—" for anything that is not a finite number (no reading, null). */
export function formatValue(v, digits = 3) {
  return Number.isFinite(v) ? String(Number(v.toPrecision(digits))) : "—";
}

/** "4 min 05 s" until ``isoTime`` from now, or "overdue 12 s". */
export function countdown(isoTime, now = Date.now()) {
  const seconds = Math.round((Date.parse(isoTime) - now) / 1000);
  const span = Math.abs(seconds);
  const text = span >= 60 ? `${Math.floor(span / 60)} min ${String(span % 60).padStart(2, "0")} s` : `${span} s`;
  return seconds >= 0 ? text : `overdue ${text}`;
}

/** The clock time of ``isoTime``, with its date when that is not today (a miner seen yesterday). */
export function timeOf(isoTime) {
  if (!isoTime) return "—";
  const time = new Date(isoTime);
  return time.toDateString() === new Date().toDateString() ? time.toLocaleTimeString() : time.toLocaleString();
}

/** An element with text (never innerHTML: everything shown came from the network). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function definitionList(pairs) {
  return el("dl", {}, ...pairs.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value ?? "—")]));
}
