// A small SVG time-series chart, shared by the views (sensor history, alert evidence): time and value
// axes with the unit, one or more series (a gap where a value is null), marked points with a tooltip,
// labelled horizontal lines (threshold levels) and an optional forecast band. No library: the page
// ships every file it runs. Everything is drawn as SVG elements with text (never innerHTML).

import { formatValue } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
const TIME_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200];

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Round tick values (1, 2, 5 x 10^k) covering [low, high], about ``count`` of them. */
export function niceTicks(low, high, count = 5) {
  if (!(high > low)) return [low];
  const raw = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const ticks = [];
  for (let v = Math.ceil(low / step) * step; v <= high + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Time ticks (epoch ms) at a round step giving about ``count`` ticks between ``start`` and ``end``. */
export function timeTicks(start, end, count = 6) {
  const spanS = (end - start) / 1000;
  const stepS = TIME_STEPS_S.find((s) => spanS / s <= count) ?? TIME_STEPS_S.at(-1);
  const step = stepS * 1000;
  const offset = new Date(start).getTimezoneOffset() * 60_000; // round in local time (whole hours)
  const ticks = [];
  for (let t = Math.ceil((start - offset) / step) * step + offset; t <= end; t += step) ticks.push(t);
  return { ticks, stepS };
}

function timeLabel(t, stepS) {
  const options = stepS < 60 ? { hour: "2-digit", minute: "2-digit", second: "2-digit" } : { hour: "2-digit", minute: "2-digit" };
  return new Date(t).toLocaleTimeString([], options);
}

/** The value range to draw: the data, the band, and the nearest line beyond the data on each side. */
function valueDomain(series, lines, band) {
  const values = series.flatMap((s) => s.points.map((p) => p.v)).filter(Number.isFinite);
  if (band) values.push(band.lo, band.hi, band.v0);
  let low = values.length ? Math.min(...values) : 0;
  let high = values.length ? Math.max(...values) : 1;
  const above = lines.map((l) => l.value).filter((v) => v >= high).sort((a, b) => a - b)[0];
  const below = lines.map((l) => l.value).filter((v) => v <= low).sort((a, b) => b - a)[0];
  if (above !== undefined) high = above;
  if (below !== undefined) low = below;
  const pad = (high - low) * 0.08 || Math.abs(high) * 0.1 || 1;
  return [low - pad, high + pad];
}

function pathOf(points, x, y) {
  let d = "";
  let pen = false;
  for (const p of points) {
    if (!Number.isFinite(p.v)) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
    pen = true;
  }
  return d;
}

/**
 * @param {object} spec
 * @param {number} spec.start @param {number} spec.end  the time axis, epoch ms
 * @param {string} spec.unit  shown on the value axis and in tooltips
 * @param {{key: string, label: string, points: {t: number, v: number|null, mark?: string}[]}[]} spec.series
 *   drawn in order; a point with ``mark`` (e.g. its cleansing flags) gets a marker whose tooltip says it
 * @param {{value: number, label: string, key: string}[]} [spec.lines] horizontal lines, labelled at the right
 * @param {{t0: number, v0: number, t1: number, lo: number, mid: number, hi: number, label: string}} [spec.band]
 *   a band from the point (t0, v0) widening to [lo, hi] at t1, with its expected value ``mid``
 * @param {{t: number, label: string}[]} [spec.moments] vertical marks, labelled at the top (an alert raised)
 * @param {string} spec.title accessible name of the chart
 * @returns {SVGSVGElement} with ``data-points``: how many points its series draw
 */
export function timeSeriesChart({ start, end, unit, series, lines = [], band = null, moments = [], title, width = 760, height = 320 }) {
  const margin = { left: 58, right: 150, top: 14, bottom: 34 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const [low, high] = valueDomain(series, lines, band);
  const x = (t) => margin.left + ((t - start) / (end - start || 1)) * plotW;
  const y = (v) => margin.top + (1 - (v - low) / (high - low)) * plotH;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": title });
  root.append(svg("title", {}, title));
  root.dataset.points = String(series.reduce((n, s) => n + s.points.length, 0));

  const { ticks, stepS } = timeTicks(start, end);
  const grid = svg("g", { class: "axis x-axis" });
  for (const t of ticks) {
    grid.append(svg("line", { x1: x(t), x2: x(t), y1: margin.top, y2: margin.top + plotH, class: "grid" }));
    grid.append(svg("text", { x: x(t), y: height - margin.bottom + 16, "text-anchor": "middle" }, timeLabel(t, stepS)));
  }
  const yAxis = svg("g", { class: "axis y-axis" });
  for (const v of niceTicks(low, high)) {
    yAxis.append(svg("line", { x1: margin.left, x2: margin.left + plotW, y1: y(v), y2: y(v), class: "grid" }));
    yAxis.append(svg("text", { x: margin.left - 6, y: y(v) + 4, "text-anchor": "end" }, formatValue(v)));
  }
  const unitLabel = svg("text", { x: 12, y: margin.top + plotH / 2, class: "unit", transform: `rotate(-90 12 ${margin.top + plotH / 2})`, "text-anchor": "middle" }, unit);
  const frame = svg("rect", { x: margin.left, y: margin.top, width: plotW, height: plotH, class: "frame" });
  root.append(grid, yAxis, unitLabel, frame);

  if (band) {
    const points = [[band.t0, band.v0], [band.t1, band.hi], [band.t1, band.lo]].map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`);
    root.append(
      svg("g", { class: "band", "data-band": "forecast" }, svg("title", {}, band.label),
        svg("polygon", { points: points.join(" ") }),
        svg("line", { x1: x(band.t0), y1: y(band.v0), x2: x(band.t1), y2: y(band.mid), class: "band-mid" })),
    );
  }

  for (const line of lines) {
    if (line.value < low || line.value > high) continue; // off the drawn range: the caller lists every line
    root.append(
      svg("g", { class: `threshold threshold-${line.key}`, "data-threshold": line.value },
        svg("line", { x1: margin.left, x2: margin.left + plotW, y1: y(line.value), y2: y(line.value) }),
        svg("text", { x: margin.left + plotW + 6, y: y(line.value) + 4 }, line.label)),
    );
  }

  for (const moment of moments.filter((m) => m.t >= start && m.t <= end)) {
    root.append(
      svg("g", { class: "moment", "data-moment": moment.label },
        svg("line", { x1: x(moment.t), x2: x(moment.t), y1: margin.top, y2: margin.top + plotH }),
        svg("text", { x: x(moment.t) + 3, y: margin.top + 11 }, moment.label)),
    );
  }

  const clip = `clip-${Math.random().toString(36).slice(2)}`;
  root.append(svg("clipPath", { id: clip }, svg("rect", { x: margin.left, y: margin.top, width: plotW, height: plotH })));
  for (const s of series) {
    const group = svg("g", { class: `series series-${s.key}`, "data-series": s.key, "clip-path": `url(#${clip})` });
    group.append(svg("path", { d: pathOf(s.points, x, y) }));
    for (const p of s.points.filter((point) => point.mark && Number.isFinite(point.v))) {
      const px = x(p.t);
      const py = y(p.v);
      group.append(
        svg("path", { class: "mark", d: `M${px - 5},${py - 5}L${px + 5},${py + 5}M${px - 5},${py + 5}L${px + 5},${py - 5}`, "data-mark": p.mark },
          svg("title", {}, `${new Date(p.t).toLocaleTimeString()} — ${formatValue(p.v)} ${unit}: ${p.mark}`)),
      );
    }
    root.append(group);
  }
  return root;
}

/**
 * One sensor's readings (``GET /api/v1/readings``, oldest first) as a small chart over ``[start, end]``
 * (default: the readings' own span), with ``lines`` and ``moments`` as in ``timeSeriesChart``.
 */
export function readingsChart(readings, { unit = "", title, lines = [], moments = [], start = null, end = null }) {
  const points = readings.map((r) => ({ t: Date.parse(r.t), v: r.value }));
  const times = points.map((p) => p.t);
  const from = start ?? Math.min(...times);
  const to = end ?? Math.max(...times, from + 1000);
  const series = [{ key: "cleansed", label: title, points }];
  return timeSeriesChart({ start: from, end: to, unit, series, lines, moments, title, width: 560, height: 220 });
}
