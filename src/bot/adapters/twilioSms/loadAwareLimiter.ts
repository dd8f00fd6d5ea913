import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface LoadAwareLimiterOptions {
  /** Most tasks at once (when the event loop keeps up). */
  max: number;
  /** Fewest tasks at once, however busy the loop is. */
  min?: number;
  /** Mean event-loop delay above which the limit is halved; below half of it, it grows by one. */
  targetDelayMs?: number;
  /** How often the delay is sampled and the limit adjusted. */
  windowMs?: number;
  /**
   * The event loop's mean delay over the last window, in ms (then reset). Defaults to a
   * `monitorEventLoopDelay` histogram; tests give their own to check the rule without timing.
   */
  loopDelay?: () => number;
}

/**
 * Runs at most `limit` tasks at once, where the limit adapts to the event loop's delay (additive
 * increase, multiplicative decrease). Turns waiting on the network (CLU, Twilio) run many at once;
 * turns that burn CPU are held back, so the same event loop keeps answering webhooks quickly.
 */
export class LoadAwareLimiter {
  private readonly max: number;
  private readonly min: number;
  private readonly targetDelayMs: number;
  private readonly windowMs: number;
  private limit: number;
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  private histogram: IntervalHistogram | undefined;
  private readonly loopDelay: (() => number) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: LoadAwareLimiterOptions) {
    this.max = Math.max(1, options.max);
    this.min = Math.min(this.max, Math.max(1, options.min ?? 1));
    this.targetDelayMs = options.targetDelayMs ?? 10;
    this.windowMs = options.windowMs ?? 100;
    this.loopDelay = options.loopDelay;
    this.limit = this.max;
  }

  get currentLimit(): number {
    return this.limit;
  }

  /** Starts watching the event loop; until then the limit stays at `max`. */
  start(): void {
    if (this.timer) return;
    if (!this.loopDelay) {
      this.histogram = monitorEventLoopDelay({ resolution: 10 });
      this.histogram.enable();
    }
    this.timer = setInterval(() => this.adjust(), this.windowMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.histogram?.disable();
    this.histogram = undefined;
    // Nothing holds tasks back once nobody adjusts the limit any more.
    this.limit = this.max;
    this.release();
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) this.active += 1;
    // Otherwise wait for a slot: release() hands it over already counted.
    else await new Promise<void>((resolve) => this.waiters.push(resolve));
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.release();
    }
  }

  private adjust(): void {
    const delayMs = this.loopDelay ? this.loopDelay() : this.histogramDelay();
    if (delayMs === undefined) return;
    if (delayMs > this.targetDelayMs) this.limit = Math.max(this.min, Math.floor(this.limit / 2));
    else if (delayMs < this.targetDelayMs / 2) this.limit = Math.min(this.max, this.limit + 1);
    this.release();
  }

  private histogramDelay(): number | undefined {
    const histogram = this.histogram;
    if (!histogram) return undefined;
    // The histogram counts lateness beyond its 10 ms resolution: a quiet loop reads about 0.
    const delayMs = histogram.count > 0 ? histogram.mean / 1e6 - 10 : 0;
    histogram.reset();
    return delayMs;
  }

  private release(): void {
    while (this.waiters.length > 0 && this.active < this.limit) {
      this.active += 1;
      this.waiters.shift()?.();
    }
  }
}
