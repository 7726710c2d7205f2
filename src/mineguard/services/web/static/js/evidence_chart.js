// A small SVG line chart of one sensor's readings: time across, value up, the rule's levels as
// labelled dashed lines and moments (the alert opening) as labelled vertical marks. Kept minimal on
// purpose, to be swapped for the shared chart (js/chart.js) where that one is in the tree.

const SVG = "http://www.w3.org/2000/svg";
const [W, H] = [480, 180];
const PAD = { left: 46, right: 12, top: 12, bottom: 24 };

function svg(tag, attributes = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== null) node.textContent = text;
  return node;
}

const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/**
 * @param {{t: string, value: number}[]} readings oldest first (``GET /api/v1/readings``)
 * @param {{unit?: string, title: string, levels?: {label: string, value: number}[], marks?: {t: string, label: string}[]}} options
 * @returns {SVGSVGElement} with ``data-points`` (how many readings it draws)
 */
export function readingsChart(readings, { unit = "", title, levels = [], marks = [] }) {
  const chart = svg("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title });
  chart.dataset.points = String(readings.length);
  chart.append(svg("title", {}, title));
  const times = [...readings.map((r) => Date.parse(r.t)), ...marks.map((m) => Date.parse(m.t))];
  const values = [...readings.map((r) => r.value), ...levels.map((l) => l.value)];
  if (!readings.length) return chart;
  const [t0, t1] = [Math.min(...times), Math.max(...times, Math.min(...times) + 1000)];
  let [v0, v1] = [Math.min(...values), Math.max(...values)];
  if (v1 - v0 < 1e-9) [v0, v1] = [v0 - 1, v1 + 1];
  const margin = (v1 - v0) * 0.08;
  [v0, v1] = [v0 - margin, v1 + margin];
  const x = (t) => PAD.left + ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v) => H - PAD.bottom - ((v - v0) / (v1 - v0)) * (H - PAD.top - PAD.bottom);

  chart.append(
    svg("line", { class: "axis", x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom }),
    svg("line", { class: "axis", x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom }),
    svg("text", { class: "tick", x: PAD.left - 4, y: y(v1 - margin) + 4, "text-anchor": "end" }, (v1 - margin).toPrecision(3)),
    svg("text", { class: "tick", x: PAD.left - 4, y: y(v0 + margin) + 4, "text-anchor": "end" }, (v0 + margin).toPrecision(3)),
    svg("text", { class: "tick", x: PAD.left, y: H - 6 }, clock(t0)),
    svg("text", { class: "tick", x: W - PAD.right, y: H - 6, "text-anchor": "end" }, clock(t1)),
    svg("text", { class: "tick unit", x: 4, y: PAD.top + 2 }, unit),
  );
  for (const level of levels) {
    const ly = y(level.value);
    chart.append(
      svg("line", { class: `level level-${level.label}`, x1: PAD.left, y1: ly, x2: W - PAD.right, y2: ly }),
      svg("text", { class: `level-label level-${level.label}`, x: W - PAD.right - 2, y: ly - 3, "text-anchor": "end" }, `${level.label} ${level.value} ${unit}`),
    );
  }
  for (const mark of marks) {
    const mx = x(Date.parse(mark.t));
    chart.append(
      svg("line", { class: "mark", x1: mx, y1: PAD.top, x2: mx, y2: H - PAD.bottom }),
      svg("text", { class: "mark-label", x: mx + 3, y: PAD.top + 10 }, mark.label),
    );
  }
  const points = readings.map((r) => `${x(Date.parse(r.t)).toFixed(1)},${y(r.value).toFixed(1)}`).join(" ");
  chart.append(svg("polyline", { class: "series", points }));
  for (const r of readings.length <= 60 ? readings : []) {
    chart.append(svg("circle", { class: "point", cx: x(Date.parse(r.t)), cy: y(r.value), r: 2 }));
  }
  return chart;
}
