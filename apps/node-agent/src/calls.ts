import { RequestTimeoutError } from "./errors.js";

/**
 * Runs `fn` with a signal that aborts after `timeoutMs` or when `stop` aborts.
 * Hand-rolled rather than AbortSignal.any: that one keeps a reference per call on the long-lived
 * stop signal, which adds up over days of beats (and thousands of hollow agents).
 */
export async function callWithTimeout<T>(timeoutMs: number, stop: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let timedOut = false;
  const onStop = () => ac.abort();
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, timeoutMs);
  stop?.addEventListener("abort", onStop, { once: true });
  try {
    return await fn(ac.signal);
  } catch (err) {
    // tRPC turns every abort into the same anonymous AbortError; say which one it was.
    if (timedOut) throw new RequestTimeoutError(timeoutMs, err);
    throw err;
  } finally {
    clearTimeout(timer);
    stop?.removeEventListener("abort", onStop);
  }
}

/** Waits `ms`, or less if any of the signals aborts meanwhile. */
export function sleepUnless(ms: number, ...signals: Array<AbortSignal | undefined>): Promise<void> {
  const live = signals.filter((s): s is AbortSignal => s !== undefined);
  if (live.some((s) => s.aborted)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      for (const s of live) s.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const s of live) s.addEventListener("abort", done, { once: true });
  });
}
