import { monitorEventLoopDelay, performance, type IntervalHistogram } from "node:perf_hooks";

/** How often the worst delay is taken from the histogram. */
const SAMPLE_MS = 250;
/** Samples kept: a minute of them, more than any health window. */
const KEEP = 240;

/**
 * The API's own event-loop lag (perf_hooks' delay histogram), sampled four times a second: what the
 * node lifecycle controller consults before blaming nodes for late heartbeats, and what /metrics shows.
 * Times are the process's monotonic clock: a stall is real time, whatever clock the controllers use.
 */
export class EventLoopLag {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly samples: Array<{ at: number; ms: number }> = [];
  private timer: NodeJS.Timeout | null = null;

  /** Starts measuring. */
  start(): void {
    if (this.timer) return;
    this.histogram.enable();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  /** Stops measuring. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.histogram.disable();
  }

  /** The worst lag of the last sample, in ms. */
  currentMs(): number {
    this.sampleIfDue();
    return this.samples.at(-1)?.ms ?? 0;
  }

  /** The worst lag over the last `windowMs`, in ms. */
  recentMs(windowMs: number): number {
    this.sampleIfDue();
    const since = performance.now() - windowMs;
    let worst = 0;
    for (let i = this.samples.length - 1; i >= 0 && this.samples[i]!.at >= since; i--) worst = Math.max(worst, this.samples[i]!.ms);
    return worst;
  }

  /** A stalled loop also stalls the sampling timer: the first reader after a stall samples it itself. */
  private sampleIfDue(): void {
    const last = this.samples.at(-1);
    if (this.timer && (!last || performance.now() - last.at >= SAMPLE_MS)) this.sample();
  }

  private sample(): void {
    // The histogram's max is the longest the loop was late for a 10 ms timer since the last reset.
    const ms = this.histogram.count > 0 ? Math.max(0, this.histogram.max / 1e6 - 10) : 0;
    this.histogram.reset();
    this.samples.push({ at: performance.now(), ms });
    if (this.samples.length > KEEP) this.samples.shift();
  }
}
