/** Bounds of an exponential backoff. */
export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** Extra random delay as a fraction of the base delay (0.2 = up to +20%). */
  jitter: number;
}

export const REGISTER_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ minMs: 100, maxMs: 5_000, jitter: 0.2 });

/**
 * The delay before retry number `attempt` (0-based): minMs doubling up to maxMs, plus jitter.
 * Jitter is added even at the cap so that many agents of a restarted API do not retry in lockstep.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = REGISTER_BACKOFF, random: () => number = Math.random): number {
  const base = Math.min(opts.maxMs, opts.minMs * 2 ** Math.min(attempt, 30));
  return Math.round(base + base * opts.jitter * random());
}
