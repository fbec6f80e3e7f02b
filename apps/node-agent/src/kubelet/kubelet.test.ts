import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerStateTerminated, PodStatusReport } from "@kube9/core";
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../log.js";
import { Kubelet } from "./kubelet.js";
import { until } from "../../test/fake-api.js";
import { execProbe, podOf, processesOfPod, startRig, type KubeletRig } from "../../test/kubelet-helpers.js";

/** The reason a container waits, if it does (a state is exactly one of waiting, running, terminated). */
const waitingReason = (c: { state: object }): string | undefined => ("waiting" in c.state ? (c.state as { waiting: { reason: string } }).waiting.reason : undefined);

const rigs: KubeletRig[] = [];
const podNames: string[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.close();
  // Stopping the agent must leave no container process behind.
  for (const name of podNames.splice(0)) expect(processesOfPod(name)).toEqual([]);
});

async function rig(extra: Parameters<typeof startRig>[0] = {}): Promise<KubeletRig> {
  const r = await startRig(extra);
  rigs.push(r);
  return r;
}

function run(r: KubeletRig, ...args: Parameters<typeof podOf>) {
  const pod = podOf(...args);
  podNames.push(pod.name);
  r.api.runPod(r.nodeId, pod);
  return pod;
}

const main = (s: PodStatusReport) => s.containerStatuses[0]!;
const condition = (s: PodStatusReport, type: string) => s.conditions.find((c) => c.type === type);

describe("kubelet", () => {
  it("runs a busybox sleep: Running, ready, limits in its cgroup, and registers the kubelet endpoint", async () => {
    const r = await rig({ kubelet: { cgroups: "auto" } });
    const endpoint = r.api.nodes.get(r.nodeId)!.kubelet;
    expect(endpoint?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(endpoint?.token).toMatch(/^[0-9a-f]{64}$/);

    const pod = run(r, "sleeper", [{ command: ["sleep", "30"], limits: { memoryMiB: 64, cpuMilli: 250 } }]);
    const s = await r.waitFor(pod.id, (s) => s.phase === "Running" && main(s).ready, "a running, ready pod");
    expect(main(s)).toMatchObject({ name: "main", image: "busybox", ready: true, started: true, restartCount: 0, lastState: {} });
    expect("running" in main(s).state).toBe(true);
    expect(condition(s, "Ready")?.status).toBe("True");
    expect(condition(s, "PodScheduled")?.status).toBe("True");
    expect(r.api.beatsOf(r.nodeId).at(-1)!.podIds).toContain(pod.id);
    expect(r.agent.podIds).toEqual([pod.id]);
    const via = s.enforcement?.main;
    // Root with a writable hierarchy gets cgroups; elsewhere the agent's guard holds the memory limit.
    expect(via?.memory).toMatch(/^(cgroup-v1|cgroup-v2|agent)$/);
    expect(r.lines.some((l) => l.startsWith("info container limits enforced by"))).toBe(true);
    await r.close();
    rigs.splice(rigs.indexOf(r), 1);
    expect(existsSync(`/sys/fs/cgroup/memory/kube9/${r.nodeId}`)).toBe(false);
    expect(existsSync(`/sys/fs/cgroup/kube9/${r.nodeId}`)).toBe(false);
  });

  it("backs off a crash-looping container with growing delays (CrashLoopBackOff)", async () => {
    const r = await rig();
    const pod = run(r, "crasher", [{ command: ["sh", "-c", "exit 1"] }]);
    await r.waitFor(pod.id, (s) => main(s).restartCount >= 3, "three restarts", 20_000);
    const reports = r.api.statusesOf(r.nodeId, pod.id).map(main);
    const backOff = reports.find((c) => "waiting" in c.state && c.state.waiting.reason === "CrashLoopBackOff");
    expect(backOff?.state).toMatchObject({ waiting: { message: `back-off 1s restarting failed container=main pod=${pod.name}_default` } });
    const last = reports.at(-1)!;
    expect((last.lastState as ContainerStateTerminated).terminated).toMatchObject({ exitCode: 1, reason: "Error" });
    expect(r.status(pod.id)?.phase).toBe("Running");
    // Each run's lastState tells when it started and ended; the gaps between runs are the back-off.
    const runs = new Map<string, { startedAt: number; finishedAt: number }>();
    for (const c of reports) {
      if (!("terminated" in c.lastState)) continue;
      const t = c.lastState.terminated;
      runs.set(t.startedAt!, { startedAt: Date.parse(t.startedAt!), finishedAt: Date.parse(t.finishedAt) });
    }
    const sorted = [...runs.values()].sort((a, b) => a.startedAt - b.startedAt);
    expect(sorted.length).toBeGreaterThanOrEqual(3);
    const gaps = sorted.slice(1).map((run, i) => run.startedAt - sorted[i]!.finishedAt);
    expect(gaps[0]).toBeGreaterThanOrEqual(190);
    expect(gaps.at(-1)!).toBeGreaterThan(gaps[0]! * 1.5);
  });

  it("restartPolicy Never and exit 0: the pod Succeeded", async () => {
    const r = await rig();
    const pod = run(r, "once", [{ command: ["sh", "-c", "echo done"] }], { restartPolicy: "Never" });
    const s = await r.waitFor(pod.id, (s) => s.phase === "Succeeded", "Succeeded");
    expect(main(s).state).toMatchObject({ terminated: { exitCode: 0, reason: "Completed" } });
    expect(main(s).restartCount).toBe(0);
    expect(condition(s, "Ready")).toMatchObject({ status: "False", reason: "PodCompleted" });
  });

  it("an unknown image waits in ErrImagePull, then ImagePullBackOff, and its sibling still runs", async () => {
    const r = await rig();
    const pod = run(r, "badimage", [{ name: "web", image: "nginx:1.25" }, { name: "side", command: ["sleep", "30"] }]);
    const s = await r.waitFor(pod.id, (s) => "waiting" in main(s).state && s.containerStatuses[1]!.ready, "ErrImagePull and a ready sibling");
    expect(main(s).state).toMatchObject({ waiting: { reason: expect.stringMatching(/^(ErrImagePull|ImagePullBackOff)$/) } });
    const first = r.api.statusesOf(r.nodeId, pod.id).map(main).find((c) => waitingReason(c) === "ErrImagePull");
    expect(first?.state).toMatchObject({ waiting: { message: expect.stringContaining("busybox, kube9/workload") } });
    expect(s.phase).toBe("Pending");
    await r.waitFor(pod.id, (s) => waitingReason(main(s)) === "ImagePullBackOff", "ImagePullBackOff");
  });

  it("a failing liveness probe restarts the container", async () => {
    const r = await rig();
    const alive = join(r.logDir, "alive");
    writeFileSync(alive, "");
    const pod = run(r, "live", [{ command: ["sleep", "30"], livenessProbe: execProbe(["test", "-f", alive]) }]);
    await r.waitFor(pod.id, (s) => main(s).started, "started");
    rmSync(alive);
    const s = await r.waitFor(pod.id, (s) => main(s).restartCount >= 1, "a restart after the liveness failure");
    writeFileSync(alive, "");
    // SIGTERM ends busybox sleep: 128 + 15.
    expect(main(s).lastState).toMatchObject({ terminated: { exitCode: 143 } });
    await r.waitFor(pod.id, (s) => "running" in main(s).state, "running again");
  });

  it("a failing readiness probe makes the container and pod not ready, without restarts", async () => {
    const r = await rig();
    const ready = join(r.logDir, "ready");
    const pod = run(r, "unready", [{ command: ["sleep", "30"], readinessProbe: execProbe(["test", "-f", ready]) }]);
    const s = await r.waitFor(pod.id, (s) => s.phase === "Running", "Running");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const later = r.status(pod.id)!;
    expect(main(later)).toMatchObject({ ready: false, started: true, restartCount: 0 });
    expect(condition(later, "Ready")).toMatchObject({ status: "False", reason: "ContainersNotReady", message: "containers with unready status: [main]" });
    expect(condition(s, "ContainersReady")?.status).toBe("False");
    writeFileSync(ready, "");
    const after = await r.waitFor(pod.id, (s) => condition(s, "Ready")?.status === "True", "Ready");
    expect(main(after).ready).toBe(true);
  });

  it("terminates with grace: SIGTERM, then SIGKILL (137) after the grace period; then stops reporting the pod", async () => {
    const r = await rig();
    const stubborn = run(r, "stubborn", [{ command: ["sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"] }]);
    const polite = run(r, "polite", [{ command: ["sleep", "30"] }], { terminationGracePeriodSeconds: 10 });
    await r.waitFor(stubborn.id, (s) => s.phase === "Running", "stubborn running");
    await r.waitFor(polite.id, (s) => s.phase === "Running", "polite running");
    const node = r.api.nodes.get(r.nodeId)!;
    const t0 = performance.now();
    r.api.deletePod(r.nodeId, stubborn.id, 1);
    r.api.deletePod(r.nodeId, polite.id, 10);
    await until(() => !r.agent.podIds.includes(polite.id), 5_000, "the polite pod gone");
    // sleep ends on SIGTERM at once; its 10 s grace is never needed.
    expect(performance.now() - t0).toBeLessThan(3_000);
    await until(() => !node.terminating.has(stubborn.id), 8_000, "the stubborn pod no longer reported");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(950);
    expect(main(r.status(stubborn.id)!).state).toMatchObject({ terminated: { exitCode: 137, signal: 9 } });
    expect(main(r.status(polite.id)!).state).toMatchObject({ terminated: { exitCode: 143 } });
    expect(processesOfPod(stubborn.name)).toEqual([]);
    expect(r.lines).toContain(`info pod stopped ${stubborn.id}`);
    expect(existsSync(join(r.logDir, stubborn.id))).toBe(false);
  });
});

describe("Kubelet status changes", () => {
  it("hands a change out until a heartbeat delivers it, and keeps placeholders as bare ids", async () => {
    const r = { logDir: mkdtempSync(join(tmpdir(), "kube9-kubelet-unit-")) };
    // A long back-off keeps the image pull from retrying during the test, so nothing changes by itself.
    const kubelet = new Kubelet({ nodeId: randomUUID(), log: silentLogger, podLogDir: r.logDir, cgroups: "off", backoff: { initialMs: 60_000, maxMs: 60_000 } });
    const pod = podOf("unit", [{ image: "registry.example/app:1" }]);
    const changes = kubelet.sync({ desiredPodIds: [pod.id, "placeholder"], assignments: [pod] });
    expect(changes).toEqual({ started: [pod.id, "placeholder"], stopped: [], stopping: [] });
    expect(kubelet.podIds().sort()).toEqual([pod.id, "placeholder"].sort());

    const first = kubelet.takeStatusChanges();
    expect(first.map((s) => s.podId)).toEqual([pod.id]);
    expect(main(first[0]!).state).toMatchObject({ waiting: { reason: "ErrImagePull" } });
    expect(kubelet.hasStatusChanges).toBe(false);
    // The heartbeat failed (no ack): the same status goes out again.
    expect(kubelet.takeStatusChanges()).toEqual(first);
    kubelet.ackStatusChanges();
    expect(kubelet.takeStatusChanges()).toEqual([]);

    const stop = kubelet.sync({ desiredPodIds: [], terminating: [{ id: pod.id, gracePeriodSeconds: 0 }] });
    expect(stop).toEqual({ started: [], stopped: ["placeholder"], stopping: [pod.id] });
    await until(() => kubelet.podIds().length === 0, 5_000, "the pod gone");
    await kubelet.shutdown(0);
    rmSync(r.logDir, { recursive: true, force: true });
  });
});
