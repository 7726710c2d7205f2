// The map's labels, placed the way a map places them: greedily by priority (the caller's order:
// sensors in alert first, then zones with alerts, shafts and refuges, machines, the other zones,
// normal sensor values last), each tried at a few positions around its anchor (a line's label also
// at a few points along the line). A label that would cover a label already placed or a marker, or
// leave the map's viewport, is hidden until zooming in makes room; a position off the roadways'
// lines is preferred to one across them; the one placed last time is tried first, so labels do not
// jump while the view moves. Hiding hides nothing: every marker and zone
// keeps its title (hover) and aria-label, a hidden label shows while its marker is hovered or
// focused, and the detail pane has it all. Labels are drawn at a fixed size on screen (the map
// scales their group by units per pixel), so they stay readable at every zoom.

const GAP = 3; // px between a mark and its label
const AIR = 1; // px kept clear around each label (its halo)
const EDGE = 2; // px kept free inside the map's edges
export const ALONG = [0.5, 0.3, 0.7, 0.15, 0.85]; // where a line's label may sit along the line

/** Top-left offsets (px) of a w x h label around a point mark of radius r: right, left, above,
 * below, then the four diagonals. */
function aroundPoint(r, w, h) {
  const [d, k] = [r + GAP, Math.SQRT1_2 * r + GAP];
  return [
    [d, -h / 2],
    [-d - w, -h / 2],
    [-w / 2, -d - h],
    [-w / 2, d],
    [k, -k - h],
    [k, k],
    [-k - w, -k - h],
    [-k - w, k],
  ];
}

/** Top-left offsets (px) of a w x h label beside a line of half-width r: above or below a
 * horizontal line (centred, then to either side), right or left of a vertical one. */
function besideLine(r, w, h, vertical) {
  const d = r + GAP;
  if (vertical) return [[d, -h / 2], [-d - w, -h / 2]];
  return [-w / 2, -w / 5, (-4 * w) / 5].flatMap((dx) => [[dx, -d - h], [dx, d]]);
}

const overlaps = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
/** Whether the segment a-b crosses ``box`` (Liang-Barsky clipping). */
function crosses([ax, ay], [bx, by], box) {
  let [t0, t1] = [0, 1];
  const [dx, dy] = [bx - ax, by - ay];
  const sides = [[-dx, ax - box.x], [dx, box.x + box.w - ax], [-dy, ay - box.y], [dy, box.y + box.h - ay]];
  for (const [p, q] of sides) {
    if (p === 0) {
      if (q < 0) return false;
    } else if (p < 0) t0 = Math.max(t0, q / p);
    else t1 = Math.min(t1, q / p);
    if (t0 > t1) return false;
  }
  return true;
}

const inside = (box, view) => box.x >= view.x && box.y >= view.y && box.x + box.w <= view.x + view.w && box.y + box.h <= view.y + view.h;

/** A label's text box relative to its text's (x, y), in px; null when it has no size (empty, not drawn). */
function measure(text) {
  const box = text.getBBox();
  if (!(box.width > 0 && box.height > 0)) return null;
  const [x, y] = ["x", "y"].map((name) => Number(text.getAttribute(name) ?? 0));
  return { bx: box.x - x, by: box.y - y, w: box.width, h: box.height };
}

export class Labeller {
  /** @param {SVGSVGElement} root the map */
  constructor(root) {
    this.root = root;
    this.last = new Map(); // label key -> [anchor index, offset index] placed last time
  }

  /**
   * Place ``labels`` (highest priority first) around ``marks`` (the markers' glyphs, never covered).
   *
   * label: {key, text: SVGTextElement, anchors: [{at: [x, y] plan units, vertical?: bool}],
   *   radius (px: the mark's radius, or a line's half-width), line: bool, moveTo(at) (a label whose
   *   anchor moves: put its group at ``at``)}; mark: {key, at: [x, y] plan units, r: px}; line: a
   *   polyline [[x, y], ...] in plan units, ``halfWidth`` px wide on either side.
   * Returns how many labels are shown and hidden (also on the map as data-labels-shown / -hidden).
   */
  place(labels, marks, lines = [], halfWidth = 0) {
    const matrix = this.root.getScreenCTM();
    const rect = this.root.getBoundingClientRect();
    if (!matrix || !(rect.width > 0)) return null; // not drawn (another view is open): placed when shown
    const screen = ([x, y]) => [matrix.a * x + matrix.e - rect.left, matrix.d * y + matrix.f - rect.top];
    const view = { x: EDGE, y: EDGE, w: rect.width - 2 * EDGE, h: rect.height - 2 * EDGE };
    const sizes = labels.map((label) => measure(label.text)); // all reads before any write: one layout
    const taken = marks.map((mark) => {
      const [x, y] = screen(mark.at);
      return { key: mark.key, x: x - mark.r, y: y - mark.r, w: 2 * mark.r, h: 2 * mark.r };
    });
    const segments = lines.flatMap((line) => line.slice(1).map((point, i) => [screen(line[i]), screen(point)]));
    const across = (box) => {
      const wide = { x: box.x - halfWidth, y: box.y - halfWidth, w: box.w + 2 * halfWidth, h: box.h + 2 * halfWidth };
      return segments.some(([a, b]) => crosses(a, b, wide));
    };
    const chosen = labels.map((label, i) => (sizes[i] ? this.choose(label, sizes[i], screen, view, taken, across) : null));
    let shown = 0;
    labels.forEach((label, i) => {
      const choice = chosen[i];
      label.text.classList.toggle("off", !choice);
      if (!choice) return this.last.delete(label.key);
      shown += 1;
      this.last.set(label.key, choice.index);
      label.text.setAttribute("x", (choice.dx - sizes[i].bx).toFixed(1));
      label.text.setAttribute("y", (choice.dy - sizes[i].by).toFixed(1));
      label.moveTo?.(label.anchors[choice.index[0]].at);
    });
    this.root.dataset.labelsShown = String(shown);
    this.root.dataset.labelsHidden = String(labels.length - shown);
    return { shown, hidden: labels.length - shown };
  }

  /** The first free position of ``label`` off the lines, else the first free one across them (last
   * time's first), its box added to ``taken``; null when none is free. */
  choose(label, size, screen, view, taken, across) {
    const { w, h } = size;
    const tries = label.anchors.flatMap((anchor, a) => {
      const offsets = label.line ? besideLine(label.radius, w, h, anchor.vertical) : aroundPoint(label.radius, w, h);
      return offsets.map((offset, o) => ({ index: [a, o], at: anchor.at, offset }));
    });
    const [a0, o0] = this.last.get(label.key) ?? [-1, -1];
    tries.sort((p, q) => (q.index[0] === a0 && q.index[1] === o0) - (p.index[0] === a0 && p.index[1] === o0));
    const free = [];
    for (const { index, at, offset } of tries) {
      const [ax, ay] = screen(at);
      if (ax < 0 || ay < 0 || ax > view.x + view.w + EDGE || ay > view.y + view.h + EDGE) continue; // off the map
      const box = { x: ax + offset[0], y: ay + offset[1], w, h };
      const clear = { x: box.x - AIR, y: box.y - AIR, w: w + 2 * AIR, h: h + 2 * AIR };
      if (!inside(box, view) || taken.some((other) => other.key !== label.key && overlaps(clear, other))) continue;
      const choice = { index, dx: offset[0], dy: offset[1], clear };
      if (!across(box)) {
        free.length = 0;
        free.push(choice);
        break;
      }
      free.push(choice);
    }
    const [best] = free;
    if (!best) return null;
    taken.push({ key: label.key, ...best.clear });
    return best;
  }
}

/** Points at ``fractions`` of a polyline's length (plan units), with whether the line runs more
 * up-down than across there. */
export function pointsAlong(points, fractions = ALONG) {
  const legs = points.slice(1).map((p, i) => [points[i], p, Math.hypot(p[0] - points[i][0], p[1] - points[i][1])]);
  const total = legs.reduce((sum, leg) => sum + leg[2], 0);
  return fractions.map((fraction) => {
    let left = fraction * total;
    for (const [i, [a, b, length]] of legs.entries()) {
      if (left > length && i < legs.length - 1) {
        left -= length;
        continue;
      }
      const t = length > 0 ? Math.min(1, left / length) : 0;
      const vertical = Math.abs(b[1] - a[1]) > Math.abs(b[0] - a[0]);
      return { at: [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])], vertical };
    }
    return { at: points[0], vertical: false };
  });
}
