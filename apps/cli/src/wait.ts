import { CliError } from "./errors.js";
import { startSpinner } from "./spinner.js";

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

/** How to wait for one node or pod to reach a status. */
export interface StatusWait<T extends { name: string; status: string }> {
  kind: "node" | "pod";
  want: string;
  timeoutMs: number;
  get(name: string): Promise<T>;
  /** Statuses that end the wait at once: the object will not reach `want` on its own. */
  giveUp(status: T["status"]): boolean;
  /** Why the object is in a give-up status, shown after it. */
  reason(obj: T): string | null | undefined;
  /** How errors name the object (default kind/name; nodes add their id). */
  errorName?: string;
}

/** Polls every 100 ms under a spinner until `start` reaches the wanted status; give-up statuses fail fast. */
export async function waitForStatus<T extends { name: string; status: string }>(start: T, w: StatusWait<T>): Promise<T> {
  const label = `${w.kind}/${start.name}`;
  const named = w.errorName ?? label;
  const spinner = startSpinner(`waiting for ${label} to be ${w.want} (${start.status})`);
  try {
    return await pollUntil(
      async () => {
        const obj = await w.get(start.name);
        if (obj.status === w.want) return { done: true, value: obj };
        if (w.giveUp(obj.status)) {
          const reason = w.reason(obj);
          throw new CliError(`${named} is ${obj.status} instead of ${w.want}${reason ? `: ${reason}` : ""}`);
        }
        return { done: false, status: obj.status };
      },
      {
        intervalMs: 100,
        timeoutMs: w.timeoutMs,
        timeoutMessage: (last, s) =>
          `${named} did not become ${w.want} within ${s} s (still ${last}); see "kube9 ${w.kind} get ${start.name}"`,
        onStatus: (s) => spinner.update(`waiting for ${label} to be ${w.want} (${s})`),
      },
    );
  } finally {
    spinner.stop();
  }
}
