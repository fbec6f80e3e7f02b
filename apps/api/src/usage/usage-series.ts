import type { UsagePoint } from "@kube9/core";

/** Seconds of 1 s points kept in memory per object (15 minutes). */
export const WINDOW_S = 900;
/** Seconds per bucket of the history kept in PostgreSQL. */
export const BUCKET_S = 10;

/** A finished 10 s bucket: its start (ms) and the averages of the 1 s points in it. */
export interface FinishedBucket {
  t: number;
  cpuMilli: number;
  memoryMiB: number;
}

/**
 * One object's use at 1 s resolution for the last 15 minutes, plus the 10 s bucket being filled.
 * A ring of two Float32Arrays (7.2 KB an object): slot `sec % WINDOW_S` holds second `sec` when it is
 * within WINDOW_S of the newest second written; gaps are NaN (no sample that second).
 */
export class UsageSeries {
  private readonly cpu = new Float32Array(WINDOW_S).fill(Number.NaN);
  private readonly mem = new Float32Array(WINDOW_S).fill(Number.NaN);
  /** The newest second written (unix seconds), or -1. */
  private newest = -1;
  /** The oldest second this series has held since it was made (memory covers [firstSec, newest]). */
  firstSec = -1;
  private bucket: { start: number; cpu: number; mem: number; n: number } | null = null;
  /** Buckets starting before this second were finished: a late sample must not reopen one. */
  private closedBefore = -Infinity;
  /** Finished buckets not yet taken for the database. */
  private finished: FinishedBucket[] = [];

  /** Records the use measured at `atMs`; a second already written keeps the newer value. */
  add(atMs: number, cpuMilli: number, memoryMiB: number): void {
    const sec = Math.floor(atMs / 1000);
    if (sec <= this.newest - WINDOW_S) return; // older than the window: nothing to keep
    if (this.newest < 0) this.firstSec = sec;
    if (sec > this.newest) {
      // Blank the seconds skipped since the newest (at most a whole window).
      for (let s = Math.max(this.newest + 1, sec - WINDOW_S + 1); s < sec; s++) {
        this.cpu[s % WINDOW_S] = Number.NaN;
        this.mem[s % WINDOW_S] = Number.NaN;
      }
      this.newest = sec;
    }
    this.cpu[sec % WINDOW_S] = cpuMilli;
    this.mem[sec % WINDOW_S] = memoryMiB;
    this.addToBucket(sec, cpuMilli, memoryMiB);
  }

  /** The newest second written (unix seconds), or -1 when empty. */
  get newestSec(): number {
    return this.newest;
  }

  /** The 1 s points in [fromMs, toMs) averaged per `stepS` seconds (steps aligned to the epoch), oldest first. */
  points(fromMs: number, toMs: number, stepS: number): UsagePoint[] {
    const step = Math.max(1, Math.floor(stepS));
    const from = Math.max(Math.ceil(fromMs / 1000), this.newest - WINDOW_S + 1, this.firstSec);
    const to = Math.min(Math.ceil(toMs / 1000) - 1, this.newest);
    const out: UsagePoint[] = [];
    let cur = -1;
    let cpu = 0;
    let mem = 0;
    let n = 0;
    const emit = () => {
      if (n > 0) out.push({ t: cur * 1000, cpuMilli: cpu / n, memoryMiB: mem / n });
    };
    for (let s = from; s <= to; s++) {
      const c = this.cpu[s % WINDOW_S]!;
      if (Number.isNaN(c)) continue;
      const b = Math.floor(s / step) * step;
      if (b !== cur) {
        emit();
        cur = b;
        cpu = mem = n = 0;
      }
      cpu += c;
      mem += this.mem[s % WINDOW_S]!;
      n++;
    }
    emit();
    return out;
  }

  /** Finished buckets (and the current one once `nowMs` is past its end), handed over once. */
  takeFinished(nowMs: number): FinishedBucket[] {
    const b = this.bucket;
    if (b && Math.floor(nowMs / 1000) >= b.start + BUCKET_S) {
      this.finished.push({ t: b.start * 1000, cpuMilli: b.cpu / b.n, memoryMiB: b.mem / b.n });
      this.closedBefore = b.start + BUCKET_S;
      this.bucket = null;
    }
    const out = this.finished;
    this.finished = [];
    return out;
  }

  private addToBucket(sec: number, cpuMilli: number, memoryMiB: number): void {
    const start = Math.floor(sec / BUCKET_S) * BUCKET_S;
    if (start < this.closedBefore) return; // a late sample of a bucket already finished
    let b = this.bucket;
    if (b && b.start !== start) {
      if (start < b.start) return;
      this.finished.push({ t: b.start * 1000, cpuMilli: b.cpu / b.n, memoryMiB: b.mem / b.n });
      this.closedBefore = b.start + BUCKET_S;
      b = null;
    }
    if (!b) b = this.bucket = { start, cpu: 0, mem: 0, n: 0 };
    b.cpu += cpuMilli;
    b.mem += memoryMiB;
    b.n++;
  }
}
