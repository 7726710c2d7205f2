// Reloading a view that reads a lot (or is audited on every read, like the rescue list): only while
// it is on screen, and at most once per ``gapMs`` however many stream events ask for it.

export class Refresher {
  /**
   * @param {() => Promise<void>} load reads the API and redraws
   * @param {{gapMs?: number, everyMs?: number, onError: Function}} options ``everyMs``: a periodic
   *   reload while shown, for changes no stream event reports (0: none)
   */
  constructor(load, { gapMs = 1000, everyMs = 0, onError }) {
    this.load = load;
    this.gapMs = gapMs;
    this.everyMs = everyMs;
    this.onError = onError;
    this.shown = false;
    this.stale = true;
    this.timer = null;
    this.periodic = null;
  }

  /** The view came on screen (reload if anything changed meanwhile) or went off it. */
  show(shown) {
    this.shown = shown;
    clearInterval(this.periodic);
    this.periodic = shown && this.everyMs ? setInterval(() => this.request(), this.everyMs) : null;
    if (shown && this.stale) this.request(0);
  }

  /** Something relevant changed: reload soon if on screen, else when next shown. */
  request(delayMs = this.gapMs) {
    this.stale = true;
    if (!this.shown || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.stale = false;
      this.load().catch(this.onError);
    }, delayMs);
  }

  stop() {
    this.shown = false;
    clearTimeout(this.timer);
    clearInterval(this.periodic);
  }
}
