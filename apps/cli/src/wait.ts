import { CliError } from "./errors.js";

/** Resolves after ms milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What one poll decided: finish with a value, or keep waiting and say what the status is now. */
export type PollStep<T> = { done: true; value: T } | { done: false; status: string };

/** Polls `check` every intervalMs until it is done or timeoutMs passes; the timeout error names the last status. */
export async function pollUntil<T>(
  check: () => Promise<PollStep<T>>,
  opts: {
    intervalMs: number;
    timeoutMs: number;
    timeoutMessage: (lastStatus: string, seconds: number) => string;
    onStatus?: (status: string) => void;
  },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const step = await check();
    if (step.done) return step.value;
    opts.onStatus?.(step.status);
    const left = deadline - Date.now();
    if (left <= 0) throw new CliError(opts.timeoutMessage(step.status, opts.timeoutMs / 1000));
    await sleep(Math.min(opts.intervalMs, left));
  }
}
