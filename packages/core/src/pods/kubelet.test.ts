import { describe, expect, it } from "vitest";
import {
  backoffDelayMs,
  containerRunning,
  containerTerminated,
  containerWaiting,
  crashLoopBackOff,
  restartDecision,
  shouldResetBackoff,
  statusTime,
  terminationReason,
} from "./kubelet.js";
import type { RestartPolicy } from "./types.js";

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

describe("restartDecision", () => {
  const cases: { policy: RestartPolicy; exitCode: number; want: boolean }[] = [
    // Always restarts whatever the exit
    { policy: "Always", exitCode: 0, want: true },
    { policy: "Always", exitCode: 1, want: true },
    // OnFailure restarts only a non-zero exit
    { policy: "OnFailure", exitCode: 0, want: false },
    { policy: "OnFailure", exitCode: 1, want: true },
    // 137 = 128 + SIGKILL is a failure too
    { policy: "OnFailure", exitCode: 137, want: true },
    // Never restarts nothing
    { policy: "Never", exitCode: 0, want: false },
    { policy: "Never", exitCode: 2, want: false },
  ];
  it.each(cases)("$policy, exit $exitCode -> $want", ({ policy, exitCode, want }) => {
    expect(restartDecision(policy, exitCode)).toBe(want);
  });
});

describe("backoffDelayMs", () => {
  const cases: { restartCount: number; want: number; opts?: { initialMs: number; maxMs: number } }[] = [
    // no restart yet: the first restart waits initialMs = 1 s
    { restartCount: 0, want: 1000 },
    // 1000 * 2^1
    { restartCount: 1, want: 2000 },
    // 1000 * 2^2
    { restartCount: 2, want: 4000 },
    // 1000 * 2^5 = 32 s, the last one under the cap
    { restartCount: 5, want: 32_000 },
    // 1000 * 2^6 = 64 s -> capped at 60 s
    { restartCount: 6, want: 60_000 },
    // far past the cap it stays 60 s (and does not overflow)
    { restartCount: 1_000_000, want: 60_000 },
    // Kubernetes' own curve: 10 s * 2^3 = 80 s
    { restartCount: 3, want: 80_000, opts: { initialMs: 10_000, maxMs: 300_000 } },
    // 10 s * 2^5 = 320 s -> capped at 5 min
    { restartCount: 5, want: 300_000, opts: { initialMs: 10_000, maxMs: 300_000 } },
  ];
  it.each(cases)("restartCount $restartCount -> $want ms", ({ restartCount, want, opts }) => {
    expect(backoffDelayMs(restartCount, opts)).toBe(want);
  });

  it("rejects a negative or fractional restartCount", () => {
    expect(() => backoffDelayMs(-1)).toThrow(RangeError);
    expect(() => backoffDelayMs(1.5)).toThrow(RangeError);
  });
});

describe("shouldResetBackoff", () => {
  const cases: { runningForMs: number; want: boolean; resetAfterMs?: number }[] = [
    // crashed after 59.999 s: still inside the window, keep backing off
    { runningForMs: 59_999, want: false },
    // exactly 60 s of running earns the reset
    { runningForMs: 60_000, want: true },
    // an immediate crash never resets
    { runningForMs: 0, want: false },
    // Kubernetes' 10 min window: 10 min - 1 ms is not enough
    { runningForMs: 600_000 - 1, want: false, resetAfterMs: 600_000 },
  ];
  it.each(cases)("ran $runningForMs ms -> $want", ({ runningForMs, want, resetAfterMs }) => {
    expect(shouldResetBackoff(runningForMs, resetAfterMs === undefined ? undefined : { resetAfterMs })).toBe(want);
  });
});

describe("terminationReason", () => {
  const cases: { exitCode: number; oomKilled: boolean; want: string }[] = [
    // exit 0 is a completion
    { exitCode: 0, oomKilled: false, want: "Completed" },
    // any other exit is an error
    { exitCode: 1, oomKilled: false, want: "Error" },
    // 137 without the OOM killer is a plain SIGKILL: Error
    { exitCode: 137, oomKilled: false, want: "Error" },
    // the OOM killer names the exit whatever the code
    { exitCode: 137, oomKilled: true, want: "OOMKilled" },
    { exitCode: 0, oomKilled: true, want: "OOMKilled" },
  ];
  it.each(cases)("exit $exitCode, oom $oomKilled -> $want", ({ exitCode, oomKilled, want }) => {
    expect(terminationReason(exitCode, oomKilled)).toBe(want);
  });
});

describe("container states", () => {
  it("statusTime is ISO-8601 UTC", () => {
    expect(statusTime(T0)).toBe("2024-01-01T12:00:00.000Z");
  });

  const cases: { name: string; got: unknown; want: unknown }[] = [
    // a reason alone leaves message out entirely
    { name: "waiting", got: containerWaiting("ContainerCreating"), want: { waiting: { reason: "ContainerCreating" } } },
    { name: "waiting with message", got: containerWaiting("ErrImagePull", "no such image"), want: { waiting: { reason: "ErrImagePull", message: "no such image" } } },
    // 4000 ms prints as Go's "4s"
    {
      name: "crash loop, seconds",
      got: crashLoopBackOff(4000, "app", "web"),
      want: { waiting: { reason: "CrashLoopBackOff", message: "back-off 4s restarting failed container=app pod=web_default" } },
    },
    // 60000 ms prints as Go's "1m0s"
    {
      name: "crash loop, a minute",
      got: crashLoopBackOff(60_000, "app", "web", "team"),
      want: { waiting: { reason: "CrashLoopBackOff", message: "back-off 1m0s restarting failed container=app pod=web_team" } },
    },
    { name: "running", got: containerRunning(T0), want: { running: { startedAt: "2024-01-01T12:00:00.000Z" } } },
    // exit 0: Completed; optional fields absent stay absent
    {
      name: "terminated, completed",
      got: containerTerminated({ exitCode: 0, finishedAt: T0 + 5000 }),
      want: { terminated: { exitCode: 0, reason: "Completed", finishedAt: "2024-01-01T12:00:05.000Z" } },
    },
    // OOM: reason OOMKilled, signal 9, both times kept
    {
      name: "terminated, OOM",
      got: containerTerminated({ exitCode: 137, oomKilled: true, signal: 9, message: "memory limit 256Mi", startedAt: T0, finishedAt: T0 + 1000 }),
      want: {
        terminated: {
          exitCode: 137, reason: "OOMKilled", signal: 9, message: "memory limit 256Mi",
          startedAt: "2024-01-01T12:00:00.000Z", finishedAt: "2024-01-01T12:00:01.000Z",
        },
      },
    },
  ];
  it.each(cases)("$name", ({ got, want }) => {
    expect(got).toStrictEqual(want);
  });
});
