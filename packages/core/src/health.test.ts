import { describe, expect, it } from "vitest";
import { DEFAULT_HEALTH_CONFIG, type HealthConfig } from "./config.js";
import {
  decideRecovery,
  evaluateNodeHealth,
  formatDuration,
  heartbeatTransition,
  isSchedulable,
  isTerminalNodeStatus,
  recoveryTransition,
  shouldResetRecoveryAttempts,
  statusOnHeartbeat,
  validateHealthConfig,
  type HealthInput,
  type Transition,
} from "./health.js";
import { NODE_STATUSES, type NodeStatus } from "./types.js";

const cfg = DEFAULT_HEALTH_CONFIG;
const T0 = 1_000_000;
function node(status: NodeStatus, lastHeartbeatAt: number | null, statusChangedAt = T0, recoveryAttempts = 0): HealthInput {
  return { status, lastHeartbeatAt, statusChangedAt, recoveryAttempts };
}

describe("evaluateNodeHealth", () => {
  const cases: { name: string; node: HealthInput; now: number; want: Transition | null }[] = [
    // 1000ms silence <= 3000ms suspect threshold
    { name: "Ready, recent heartbeat", node: node("Ready", T0), now: T0 + 1000, want: null },
    // 3000ms silence is not > 3000ms: the threshold itself is still fine
    { name: "Ready, exactly at suspect threshold", node: node("Ready", T0), now: T0 + 3000, want: null },
    // 3200ms > 3000ms (and <= 5000ms) -> Suspect
    {
      name: "Ready -> Suspect",
      node: node("Ready", T0),
      now: T0 + 3200,
      want: { status: "Suspect", reason: "NodeSuspect", message: "no heartbeat for 3.2s (suspect after 3s)", type: "Warning" },
    },
    // 5001ms > 5000ms -> straight to Failed, no Suspect stop on the way
    {
      name: "Ready -> Failed when the monitor was late",
      node: node("Ready", T0),
      now: T0 + 5001,
      want: { status: "Failed", reason: "NodeFailed", message: "no heartbeat for 5.001s (failed after 5s)", type: "Warning" },
    },
    // no heartbeat yet: silence counts from statusChangedAt, 4000ms > 3000ms
    {
      name: "Ready without any heartbeat uses statusChangedAt",
      node: node("Ready", null, T0),
      now: T0 + 4000,
      want: { status: "Suspect", reason: "NodeSuspect", message: "no heartbeat for 4s (suspect after 3s)", type: "Warning" },
    },
    // Cordoned nodes are watched like Ready ones: 3500ms > 3000ms
    {
      name: "Cordoned -> Suspect",
      node: node("Cordoned", T0),
      now: T0 + 3500,
      want: { status: "Suspect", reason: "NodeSuspect", message: "no heartbeat for 3.5s (suspect after 3s)", type: "Warning" },
    },
    // 6000ms > 5000ms
    {
      name: "Cordoned -> Failed",
      node: node("Cordoned", T0),
      now: T0 + 6000,
      want: { status: "Failed", reason: "NodeFailed", message: "no heartbeat for 6s (failed after 5s)", type: "Warning" },
    },
    // Suspect at 4000ms: not > 5000ms, stays
    { name: "Suspect stays Suspect", node: node("Suspect", T0), now: T0 + 4000, want: null },
    // 5500ms > 5000ms
    {
      name: "Suspect -> Failed",
      node: node("Suspect", T0),
      now: T0 + 5500,
      want: { status: "Failed", reason: "NodeFailed", message: "no heartbeat for 5.5s (failed after 5s)", type: "Warning" },
    },
    // heartbeat stamped 500ms in the future: silence clamps to 0
    { name: "future heartbeat is no silence", node: node("Ready", T0 + 500), now: T0, want: null },
    // Provisioning 30000ms: not > 30000ms
    { name: "Provisioning within timeout", node: node("Provisioning", null, T0), now: T0 + 30_000, want: null },
    // 31200ms > 30000ms
    {
      name: "Provisioning timeout",
      node: node("Provisioning", null, T0),
      now: T0 + 31_200,
      want: { status: "Failed", reason: "NodeProvisioningTimeout", message: "node did not register within 30s (provisioning for 31.2s)", type: "Warning" },
    },
    // Recovering 9000ms <= 10000ms
    { name: "Recovering within timeout", node: node("Recovering", null, T0, 2), now: T0 + 9000, want: null },
    // 10500ms > 10000ms, attempt 2
    {
      name: "Recovering timeout",
      node: node("Recovering", T0 - 60_000, T0, 2),
      now: T0 + 10_500,
      want: { status: "Failed", reason: "NodeRecoveryTimeout", message: "no heartbeat 10.5s after recovery attempt 2 (timeout 10s)", type: "Warning" },
    },
    // Failed waits for decideRecovery however long it has been silent (1h)
    { name: "Failed is left to recovery", node: node("Failed", T0), now: T0 + 3_600_000, want: null },
    { name: "PermanentlyFailed is final", node: node("PermanentlyFailed", T0), now: T0 + 3_600_000, want: null },
    { name: "Removed is final", node: node("Removed", T0), now: T0 + 3_600_000, want: null },
  ];
  it.each(cases)("$name", ({ node, now, want }) => {
    expect(evaluateNodeHealth(node, now, cfg)).toEqual(want);
  });

  it("follows a custom config", () => {
    const fast: HealthConfig = { ...cfg, suspectAfterMs: 300, failedAfterMs: 500 };
    // 400ms > 300ms suspect threshold, <= 500ms
    expect(evaluateNodeHealth(node("Ready", T0), T0 + 400, fast)?.message).toBe("no heartbeat for 400ms (suspect after 300ms)");
  });
});

describe("statusOnHeartbeat / heartbeatTransition", () => {
  const cases: { from: NodeStatus; to: NodeStatus | null; event: string | null }[] = [
    { from: "Provisioning", to: "Ready", event: "node registered and sent its first heartbeat" },
    { from: "Ready", to: "Ready", event: null },
    { from: "Suspect", to: "Ready", event: "heartbeat received; node was Suspect" },
    { from: "Failed", to: "Ready", event: "heartbeat received; node was Failed" },
    { from: "Recovering", to: "Ready", event: "heartbeat received; node was Recovering" },
    // a cordon is the user's decision: a heartbeat does not lift it
    { from: "Cordoned", to: "Cordoned", event: null },
    // the agent must stop
    { from: "PermanentlyFailed", to: null, event: null },
    { from: "Removed", to: null, event: null },
  ];
  it.each(cases)("$from -> $to", ({ from, to, event }) => {
    expect(statusOnHeartbeat(from)).toBe(to);
    const t = heartbeatTransition(from);
    expect(t?.message ?? null).toBe(event);
    if (t) expect(t).toMatchObject({ status: "Ready", reason: "NodeReady", type: "Normal" });
  });
  it("covers every status", () => {
    expect(cases.map((c) => c.from).sort()).toEqual([...NODE_STATUSES].sort());
  });
});

describe("decideRecovery / recoveryTransition", () => {
  const cases: { name: string; status: NodeStatus; attempts: number; max?: number; want: ReturnType<typeof decideRecovery>; message?: string }[] = [
    // 0 < 3 -> attempt 0+1=1
    { name: "first restart", status: "Failed", attempts: 0, want: { action: "restart", attempt: 1 }, message: "restarting node (attempt 1 of 3)" },
    // 2 < 3 -> attempt 2+1=3, the last one
    { name: "last restart", status: "Failed", attempts: 2, want: { action: "restart", attempt: 3 }, message: "restarting node (attempt 3 of 3)" },
    // 3 is not < 3 -> give up
    { name: "give up", status: "Failed", attempts: 3, want: { action: "give-up" }, message: "node still failed after 3 recovery attempts; giving up" },
    // max 0: recovery disabled, 0 is not < 0
    { name: "recovery disabled", status: "Failed", attempts: 0, max: 0, want: { action: "give-up" }, message: "node still failed after 0 recovery attempts; giving up" },
    // only Failed nodes are recovered
    { name: "Suspect is not recovered", status: "Suspect", attempts: 0, want: null },
    { name: "Recovering is already in progress", status: "Recovering", attempts: 1, want: null },
  ];
  it.each(cases)("$name", ({ status, attempts, max, want, message }) => {
    const c = { ...cfg, maxRecoveryAttempts: max ?? cfg.maxRecoveryAttempts };
    const decision = decideRecovery({ status, recoveryAttempts: attempts }, c);
    expect(decision).toEqual(want);
    if (decision) {
      const t = recoveryTransition(decision, c);
      expect(t.message).toBe(message);
      expect(t).toMatchObject(
        decision.action === "restart"
          ? { status: "Recovering", reason: "NodeRecovering", type: "Warning" }
          : { status: "PermanentlyFailed", reason: "NodePermanentlyFailed", type: "Warning" },
      );
    }
  });
});

describe("shouldResetRecoveryAttempts", () => {
  const TEN_MIN = 600_000;
  const cases: { name: string; node: HealthInput; now: number; want: boolean }[] = [
    // Ready 600000ms >= 600000ms, heartbeat 500ms ago, 2 attempts to forget
    { name: "stable long enough", node: node("Ready", T0 + TEN_MIN - 500, T0, 2), now: T0 + TEN_MIN, want: true },
    // 599999ms < 600000ms
    { name: "not yet", node: node("Ready", T0 + TEN_MIN - 500, T0, 2), now: T0 + TEN_MIN - 1, want: false },
    // nothing to forget
    { name: "no attempts", node: node("Ready", T0 + TEN_MIN - 500, T0, 0), now: T0 + TEN_MIN, want: false },
    // Cordoned is not Ready
    { name: "not Ready", node: node("Cordoned", T0 + TEN_MIN - 500, T0, 2), now: T0 + TEN_MIN, want: false },
    // last heartbeat 4000ms ago > 3000ms: going quiet, not stable
    { name: "going quiet", node: node("Ready", T0 + TEN_MIN - 4000, T0, 2), now: T0 + TEN_MIN, want: false },
  ];
  it.each(cases)("$name", ({ node, now, want }) => {
    expect(shouldResetRecoveryAttempts(node, now, cfg)).toBe(want);
  });
});

describe("status helpers", () => {
  it.each(NODE_STATUSES.map((s) => ({ s })))("$s", ({ s }) => {
    expect(isSchedulable(s)).toBe(s === "Ready");
    expect(isTerminalNodeStatus(s)).toBe(s === "PermanentlyFailed" || s === "Removed");
  });
  it.each([
    // below one second: milliseconds
    { ms: 250, want: "250ms" },
    // 3200/1000 = 3.2
    { ms: 3200, want: "3.2s" },
    // 600000/1000 = 600
    { ms: 600_000, want: "600s" },
  ])("formatDuration($ms)", ({ ms, want }) => {
    expect(formatDuration(ms)).toBe(want);
  });
});

describe("validateHealthConfig", () => {
  const cases: { name: string; patch: Partial<HealthConfig>; want: string[] }[] = [
    { name: "defaults are valid", patch: {}, want: [] },
    // back-off cap 500 < first delay 1000: the doubling could never reach its cap
    {
      name: "back-off cap below its first delay",
      patch: { crashLoopBackoffMaxMs: 500 },
      want: ["crashLoopBackoffMaxMs (500) must be at least crashLoopBackoffInitialMs (1000)"],
    },
    // cap 1000 == first delay 1000: a constant back-off is allowed
    { name: "constant back-off", patch: { crashLoopBackoffMaxMs: 1000 }, want: [] },
    // 2000 <= 3000
    { name: "failed before suspect", patch: { failedAfterMs: 2000 }, want: ["failedAfterMs (2000) must be greater than suspectAfterMs (3000)"] },
    // 3000 == 3000 is not greater
    { name: "failed equals suspect", patch: { failedAfterMs: 3000 }, want: ["failedAfterMs (3000) must be greater than suspectAfterMs (3000)"] },
    // 1000 <= 1000 heartbeat interval: one late beat would already be Suspect
    { name: "suspect not above heartbeat", patch: { suspectAfterMs: 1000 }, want: ["suspectAfterMs (1000) must be greater than heartbeatIntervalMs (1000)"] },
    // 0 and 1.5 are not positive integers
    {
      name: "not positive integers",
      patch: { heartbeatIntervalMs: 0, recoveryTimeoutMs: 1.5 },
      want: ["heartbeatIntervalMs (0) must be a positive integer", "recoveryTimeoutMs (1.5) must be a positive integer"],
    },
    // -1 attempts is meaningless; 0 is allowed (see next case)
    { name: "negative attempts", patch: { maxRecoveryAttempts: -1 }, want: ["maxRecoveryAttempts (-1) must be a non-negative integer"] },
    { name: "zero attempts disables recovery", patch: { maxRecoveryAttempts: 0 }, want: [] },
  ];
  it.each(cases)("$name", ({ patch, want }) => {
    expect(validateHealthConfig({ ...cfg, ...patch })).toEqual(want);
  });
});
