import { rssBytes } from "./proc.js";

// Where no cgroup can hold a memory limit (read-only /sys in a docker node, not root), the agent
// enforces it itself: it samples the resident memory of the container's process tree and kills
// the whole group once it is above the limit. This is coarser than the kernel's limit — a fast
// allocator can overshoot by what it allocates within one interval — and `describe` says so by
// reporting the enforcement as "agent".

/** Default sampling interval. */
export const MEMORY_GUARD_INTERVAL_MS = 250;

/** Options of {@link startMemoryGuard}. */
export interface MemoryGuardOptions {
  limitBytes: number;
  /** The container's current processes. */
  pids: () => number[];
  /** Called once, with the RSS seen, when the limit is exceeded; must kill the container. */
  onExceeded: (rssBytes: number) => void;
  intervalMs?: number;
  /** Default: sum of VmRSS from /proc. */
  measure?: (pids: number[]) => number;
}

/** A running guard. */
export interface MemoryGuard {
  /** Whether the guard fired. */
  readonly fired: boolean;
  /** Largest RSS sampled, in bytes. */
  readonly peakBytes: number;
  stop(): void;
}

/** Samples the container's RSS every interval and fires once above the limit. */
export function startMemoryGuard(opts: MemoryGuardOptions): MemoryGuard {
  const measure = opts.measure ?? ((pids: number[]) => rssBytes(pids));
  let fired = false;
  let peakBytes = 0;
  const timer = setInterval(() => {
    const used = measure(opts.pids());
    peakBytes = Math.max(peakBytes, used);
    if (used > opts.limitBytes && !fired) {
      fired = true;
      clearInterval(timer);
      opts.onExceeded(used);
    }
  }, opts.intervalMs ?? MEMORY_GUARD_INTERVAL_MS);
  // The guard must not keep an otherwise finished agent (or test) alive.
  timer.unref();
  return {
    get fired() {
      return fired;
    },
    get peakBytes() {
      return peakBytes;
    },
    stop: () => clearInterval(timer),
  };
}
