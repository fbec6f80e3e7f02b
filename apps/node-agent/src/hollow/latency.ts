/** Latencies in 0.1 ms steps up to this many ms; slower ones are kept in whole ms. */
const FINE_MS = 1000;

/**
 * Heartbeat latencies as a histogram (0.1 ms resolution below 1 s, 1 ms above), so a fleet can count
 * millions of beats in constant memory and still give exact-to-the-step percentiles.
 */
export class LatencyHistogram {
  private fine = new Uint32Array(FINE_MS * 10);
  private coarse = new Map<number, number>();
  private n = 0;
  private max = 0;

  /** Counts one latency in ms, `times` times (a batch's beats all waited as long as their request). */
  add(ms: number, times = 1): void {
    if (ms < FINE_MS) this.fine[Math.max(0, Math.floor(ms * 10))]! += times;
    else this.coarse.set(Math.floor(ms), (this.coarse.get(Math.floor(ms)) ?? 0) + times);
    this.n += times;
    if (ms > this.max) this.max = ms;
  }

  /** How many latencies were counted. */
  get count(): number {
    return this.n;
  }

  /** The q-quantile (0..1) in ms, rounded up to its step; 0 when nothing was counted. */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < this.fine.length; i++) {
      seen += this.fine[i]!;
      if (seen >= rank) return (i + 1) / 10;
    }
    for (const ms of [...this.coarse.keys()].sort((a, b) => a - b)) {
      seen += this.coarse.get(ms)!;
      if (seen >= rank) return ms + 1;
    }
    return this.max;
  }

  /** Forgets everything (a new measurement window). */
  reset(): void {
    this.fine.fill(0);
    this.coarse.clear();
    this.n = 0;
    this.max = 0;
  }
}
