import { describe, expect, it } from "vitest";
import {
  containerReady,
  containerStarted,
  initialProbeState,
  nextProbeState,
  probeActive,
  probeConsequences,
  probeDue,
  type ProbeState,
} from "./probes.js";
import { PROBE_DEFAULTS, type ProbeKind, type ProbeSpec } from "./types.js";

const probe = (patch: Partial<ProbeSpec> = {}): ProbeSpec => ({ exec: { command: ["true"] }, ...PROBE_DEFAULTS, ...patch });

/** Folds outcomes ("s" success, "f" failure) from the kind's initial state; returns the result after each. */
function run(kind: ProbeKind, outcomes: string, spec: ProbeSpec): string[] {
  let state = initialProbeState(kind);
  return [...outcomes].map((o) => {
    state = nextProbeState(state, o === "s", spec);
    return state.result;
  });
}

describe("initialProbeState", () => {
  const cases: { kind: ProbeKind; want: ProbeState }[] = [
    // not ready until a readiness probe succeeds
    { kind: "readiness", want: { successes: 0, failures: 0, result: "Failure" } },
    // alive until a liveness probe fails failureThreshold times
    { kind: "liveness", want: { successes: 0, failures: 0, result: "Success" } },
    // not started until the startup probe succeeds
    { kind: "startup", want: { successes: 0, failures: 0, result: "Unknown" } },
  ];
  it.each(cases)("$kind", ({ kind, want }) => {
    expect(initialProbeState(kind)).toEqual(want);
  });
});

describe("nextProbeState", () => {
  const cases: { name: string; kind: ProbeKind; spec: ProbeSpec; outcomes: string; want: string[] }[] = [
    // failureThreshold 3: two failures keep Success, the third consecutive one flips to Failure
    { name: "liveness fails on the 3rd failure", kind: "liveness", spec: probe(), outcomes: "fff", want: ["Success", "Success", "Failure"] },
    // a success between failures restarts the count: f f s f f -> never 3 in a row
    { name: "liveness failures must be consecutive", kind: "liveness", spec: probe(), outcomes: "ffsff", want: ["Success", "Success", "Success", "Success", "Success"] },
    // failureThreshold 1: the first failure is enough
    { name: "failureThreshold 1", kind: "liveness", spec: probe({ failureThreshold: 1 }), outcomes: "f", want: ["Failure"] },
    // readiness successThreshold 1 (default): one success makes it ready
    { name: "readiness ready on first success", kind: "readiness", spec: probe(), outcomes: "s", want: ["Success"] },
    // successThreshold 2: s -> still Failure (1 < 2), s -> Success (2 >= 2)
    { name: "readiness successThreshold 2", kind: "readiness", spec: probe({ successThreshold: 2 }), outcomes: "ss", want: ["Failure", "Success"] },
    // s f s: the failure resets the run of successes, so the 3rd is 1 of 2
    { name: "readiness successes must be consecutive", kind: "readiness", spec: probe({ successThreshold: 2 }), outcomes: "sfss", want: ["Failure", "Failure", "Failure", "Success"] },
    // ready, then failureThreshold 3 failures flip it unready, then one success (threshold 1) makes it ready again
    { name: "readiness flips both ways", kind: "readiness", spec: probe(), outcomes: "sfffs", want: ["Success", "Success", "Success", "Failure", "Success"] },
    // startup stays Unknown until its first success (successThreshold is always 1)
    { name: "startup succeeds once", kind: "startup", spec: probe({ failureThreshold: 30 }), outcomes: "ffs", want: ["Unknown", "Unknown", "Success"] },
    // startup gives up after failureThreshold 2: Unknown, Failure
    { name: "startup fails", kind: "startup", spec: probe({ failureThreshold: 2 }), outcomes: "ff", want: ["Unknown", "Failure"] },
  ];
  it.each(cases)("$name", ({ kind, spec, outcomes, want }) => {
    expect(run(kind, outcomes, spec)).toEqual(want);
  });

  it("counts runs: a failure zeroes successes and vice versa", () => {
    // 2 successes then 1 failure -> successes 0, failures 1
    const s = nextProbeState({ successes: 2, failures: 0, result: "Success" }, false, probe());
    expect(s).toEqual({ successes: 0, failures: 1, result: "Success" });
  });
});

describe("probeDue", () => {
  const start = 1_000_000;
  const cases: { name: string; spec: ProbeSpec; last?: number; now: number; want: boolean }[] = [
    // initialDelay 0: due right at start
    { name: "no delay, first probe", spec: probe(), now: start, want: true },
    // initialDelay 5 s: at start + 4.999 s not yet
    { name: "inside the initial delay", spec: probe({ initialDelaySeconds: 5 }), now: start + 4999, want: false },
    // at start + 5 s exactly it is due
    { name: "initial delay over", spec: probe({ initialDelaySeconds: 5 }), now: start + 5000, want: true },
    // period 10 s: 9.999 s after the last probe is too soon
    { name: "within the period", spec: probe(), last: start, now: start + 9999, want: false },
    // 10 s after the last probe it is due again
    { name: "period elapsed", spec: probe(), last: start, now: start + 10_000, want: true },
  ];
  it.each(cases)("$name", ({ spec, last, now, want }) => {
    expect(probeDue(spec, start, last, now)).toBe(want);
  });
});

describe("startup gate and readiness", () => {
  const gate: { kind: ProbeKind; started: boolean; want: boolean }[] = [
    // before the startup probe succeeds only it runs
    { kind: "startup", started: false, want: true },
    { kind: "liveness", started: false, want: false },
    { kind: "readiness", started: false, want: false },
    // once started the startup probe stops and the other two run
    { kind: "startup", started: true, want: false },
    { kind: "liveness", started: true, want: true },
    { kind: "readiness", started: true, want: true },
  ];
  it.each(gate)("probeActive($kind, started $started) -> $want", ({ kind, started, want }) => {
    expect(probeActive(kind, started)).toBe(want);
  });

  const success: ProbeState = { successes: 1, failures: 0, result: "Success" };
  const unknown: ProbeState = initialProbeState("startup");
  const started: { name: string; hasProbe: boolean; state?: ProbeState; want: boolean }[] = [
    // no startup probe: started as soon as it runs
    { name: "no startup probe", hasProbe: false, want: true },
    // startup probe not yet successful
    { name: "startup pending", hasProbe: true, state: unknown, want: false },
    { name: "startup succeeded", hasProbe: true, state: success, want: true },
  ];
  it.each(started)("containerStarted: $name -> $want", ({ hasProbe, state, want }) => {
    expect(containerStarted(hasProbe ? { startupProbe: probe() } : {}, state)).toBe(want);
  });

  const ready: { name: string; hasProbe: boolean; running: boolean; started: boolean; state?: ProbeState; want: boolean }[] = [
    // no readiness probe: ready once running and started
    { name: "no probe, running", hasProbe: false, running: true, started: true, want: true },
    // a stopped container is never ready
    { name: "not running", hasProbe: false, running: false, started: true, want: false },
    // still in startup: not ready even without a readiness probe
    { name: "not started", hasProbe: false, running: true, started: false, want: false },
    // readiness probe still at its initial Failure
    { name: "probe not yet passed", hasProbe: true, running: true, started: true, state: initialProbeState("readiness"), want: false },
    { name: "probe passed", hasProbe: true, running: true, started: true, state: success, want: true },
  ];
  it.each(ready)("containerReady: $name -> $want", ({ hasProbe, running, started, state, want }) => {
    expect(containerReady(hasProbe ? { readinessProbe: probe() } : {}, running, started, state)).toBe(want);
  });
});

describe("probeConsequences", () => {
  const ok: ProbeState = { successes: 3, failures: 0, result: "Success" };
  const failing: ProbeState = { successes: 0, failures: 2, result: "Success" };
  const failed: ProbeState = { successes: 0, failures: 3, result: "Failure" };
  const cases: { name: string; kind: ProbeKind; outcome: boolean; before: ProbeState; after: ProbeState; want: unknown }[] = [
    // a passing probe: nothing to report
    { name: "success", kind: "liveness", outcome: true, before: ok, after: ok, want: { kill: false, events: [] } },
    // a failure below the threshold still records Unhealthy, but does not kill
    {
      name: "failure below threshold", kind: "liveness", outcome: false, before: ok, after: failing,
      want: { kill: false, events: [{ type: "Warning", reason: "Unhealthy", message: "Liveness probe failed: exit code 1" }] },
    },
    // the failure that reaches the threshold: Unhealthy, then Killing, and the container is killed
    {
      name: "liveness reaches threshold", kind: "liveness", outcome: false, before: failing, after: failed,
      want: {
        kill: true,
        events: [
          { type: "Warning", reason: "Unhealthy", message: "Liveness probe failed: exit code 1" },
          { type: "Normal", reason: "Killing", message: "Container app failed liveness probe, will be restarted" },
        ],
      },
    },
    // a startup probe that gives up kills too
    {
      name: "startup gives up", kind: "startup", outcome: false, before: { successes: 0, failures: 29, result: "Unknown" }, after: { successes: 0, failures: 30, result: "Failure" },
      want: {
        kill: true,
        events: [
          { type: "Warning", reason: "Unhealthy", message: "Startup probe failed: exit code 1" },
          { type: "Normal", reason: "Killing", message: "Container app failed startup probe, will be restarted" },
        ],
      },
    },
    // readiness reaching Failure only makes the container unready
    {
      name: "readiness never kills", kind: "readiness", outcome: false, before: failing, after: failed,
      want: { kill: false, events: [{ type: "Warning", reason: "Unhealthy", message: "Readiness probe failed: exit code 1" }] },
    },
  ];
  it.each(cases)("$name", ({ kind, outcome, before, after, want }) => {
    expect(probeConsequences(kind, "app", outcome, "exit code 1", before, after)).toEqual(want);
  });
});
