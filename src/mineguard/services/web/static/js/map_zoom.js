// Pan and zoom of an SVG by its viewBox: mouse wheel (around the pointer), drag (mouse, pen or one
// finger), the +/−/fit buttons, and the keyboard on the focused map (arrows pan, + and − zoom, 0 fits).
// ``onScale(unitsPerPixel)`` lets the map keep its markers the same size on screen at any zoom.

const [MIN_ZOOM, MAX_ZOOM] = [0.5, 40];
const STEP = 1.4; // one button press or key: zoom in or out by this factor
const PAN_FRACTION = 0.15; // one arrow key: this share of the visible width or height
const DRAG_PX = 5; // a press that moves less than this is a click, not a drag

export class PanZoom {
  /** @param {SVGSVGElement} root @param {(unitsPerPixel: number) => void} onScale */
  constructor(root, onScale) {
    this.root = root;
    this.onScale = onScale;
    this.base = null; // {x, y, w, h}: the whole mine, zoom 1
    this.view = null;
    this.drag = null;
    this.justDragged = false;
    root.addEventListener("wheel", (event) => this.onWheel(event), { passive: false });
    root.addEventListener("pointerdown", (event) => this.onPointerDown(event));
    root.addEventListener("pointermove", (event) => this.onPointerMove(event));
    root.addEventListener("pointerup", (event) => this.onPointerUp(event));
    root.addEventListener("pointercancel", () => (this.drag = null));
    root.addEventListener("keydown", (event) => this.onKey(event));
    root.addEventListener("click", (event) => this.swallowDragClick(event), true);
    new ResizeObserver(() => this.apply()).observe(root);
  }

  /** The extent of the whole mine; the view is kept when the extent is unchanged (a resync redraws). */
  setBase(box) {
    const same = this.base && ["x", "y", "w", "h"].every((k) => Math.abs(this.base[k] - box[k]) < 1e-6);
    this.base = box;
    if (!same || !this.view) this.view = { ...box };
    this.apply();
  }

  get zoom() {
    return this.base ? this.base.w / this.view.w : 1;
  }

  /** Zoom by ``factor`` (> 1: in) keeping the mine point ``[cx, cy]`` (default: the centre) where it is. */
  zoomBy(factor, [cx, cy] = [this.view.x + this.view.w / 2, this.view.y + this.view.h / 2]) {
    const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.zoom * factor));
    const [w, h] = [this.base.w / zoom, this.base.h / zoom];
    const [fx, fy] = [(cx - this.view.x) / this.view.w, (cy - this.view.y) / this.view.h];
    this.view = { x: cx - fx * w, y: cy - fy * h, w, h };
    this.apply();
  }

  panBy(dx, dy) {
    this.view = { ...this.view, x: this.view.x + dx, y: this.view.y + dy };
    this.apply();
  }

  fit() {
    this.view = { ...this.base };
    this.apply();
  }

  apply() {
    if (!this.view) return;
    const { x, y, w, h } = this.view;
    this.root.setAttribute("viewBox", `${x} ${y} ${w} ${h}`);
    this.root.dataset.zoom = this.zoom.toFixed(2);
    const matrix = this.root.getScreenCTM();
    if (matrix && matrix.a > 0) this.onScale(1 / matrix.a); // hidden (display: none): no matrix, no rescale
  }

  /** The mine point under a screen point. */
  toMine(clientX, clientY) {
    const matrix = this.root.getScreenCTM();
    if (!matrix) return undefined;
    const point = new DOMPoint(clientX, clientY).matrixTransform(matrix.inverse());
    return [point.x, point.y];
  }

  onWheel(event) {
    if (!this.view) return;
    event.preventDefault();
    this.zoomBy(Math.exp(-event.deltaY / 400), this.toMine(event.clientX, event.clientY));
  }

  onPointerDown(event) {
    if (event.button !== 0 || !this.view) return;
    this.drag = { id: event.pointerId, x: event.clientX, y: event.clientY, view: { ...this.view }, moved: false };
  }

  onPointerMove(event) {
    const drag = this.drag;
    if (!drag || drag.id !== event.pointerId) return;
    const [dx, dy] = [event.clientX - drag.x, event.clientY - drag.y];
    if (!drag.moved && Math.hypot(dx, dy) < DRAG_PX) return;
    if (!drag.moved) this.root.setPointerCapture(event.pointerId);
    drag.moved = true;
    this.root.classList.add("dragging");
    const perPixel = 1 / (this.root.getScreenCTM()?.a || 1);
    this.view = { ...drag.view, x: drag.view.x - dx * perPixel, y: drag.view.y - dy * perPixel };
    this.apply();
  }

  onPointerUp(event) {
    if (!this.drag || this.drag.id !== event.pointerId) return;
    this.justDragged = this.drag.moved;
    this.drag = null;
    this.root.classList.remove("dragging");
  }

  /** The click that ends a drag does not also open what was under the pointer. */
  swallowDragClick(event) {
    if (!this.justDragged) return;
    this.justDragged = false;
    event.stopPropagation();
    event.preventDefault();
  }

  onKey(event) {
    if (event.target !== this.root || !this.view) return; // keys on a zone or a dot are theirs
    const [px, py] = [this.view.w * PAN_FRACTION, this.view.h * PAN_FRACTION];
    const actions = {
      ArrowLeft: () => this.panBy(-px, 0),
      ArrowRight: () => this.panBy(px, 0),
      ArrowUp: () => this.panBy(0, -py),
      ArrowDown: () => this.panBy(0, py),
      "+": () => this.zoomBy(STEP),
      "=": () => this.zoomBy(STEP),
      "-": () => this.zoomBy(1 / STEP),
      0: () => this.fit(),
    };
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  }
}

export const ZOOM_STEP = STEP;
