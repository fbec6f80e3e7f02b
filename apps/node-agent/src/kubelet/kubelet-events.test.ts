import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import type { ContainerStatus, PodStatusReport } from "@kube9/core";
import { afterEach, describe, expect, it } from "vitest";
import { API_KUBELET_SETTINGS, until, type FakeNode } from "../../test/fake-api.js";
import { execProbe, podOf, processesOfPod, startRig, type KubeletRig } from "../../test/kubelet-helpers.js";

// What the kubelet tells the API besides statuses: the cluster's back-off settings it applies, and
// the events it reports through heartbeats (real processes against the fake API).

const rigs: KubeletRig[] = [];
const podNames: string[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.close();
  for (const name of podNames.splice(0)) expect(processesOfPod(name)).toEqual([]);
});

async function rig(nodeExtra: Partial<FakeNode> = {}): Promise<KubeletRig> {
  const r = await startRig({}, nodeExtra);
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
const line = (e: { type: string; reason: string; message: string }) => `${e.type} ${e.reason} ${e.message}`;

/** The gaps between one run's end and the next one's start, as far as the reported statuses tell. */
function restartGaps(statuses: ContainerStatus[]): number[] {
  // A run shows up as running, or only later as the lastState of the next (a crash can be too quick to report).
  const ends = new Map<string, string | undefined>();
  for (const c of statuses) {
    if ("running" in c.state) ends.set(c.state.running.startedAt, ends.get(c.state.running.startedAt));
    if ("terminated" in c.lastState) ends.set(c.lastState.terminated.startedAt!, c.lastState.terminated.finishedAt);
  }
  const runs = [...ends].map(([start, end]) => ({ start: Date.parse(start), end: end === undefined ? undefined : Date.parse(end) }));
  runs.sort((a, b) => a.start - b.start);
  const gaps: number[] = [];
  for (let i = 1; i < runs.length && runs[i - 1]!.end !== undefined; i++) gaps.push(runs[i]!.start - runs[i - 1]!.end!);
  return gaps;
}

/** Waits until the statuses of a pod's first container tell `n` restart gaps. */
async function gapsOf(r: KubeletRig, podId: string, n: number): Promise<number[]> {
  const gaps = () => restartGaps(r.api.statusesOf(r.nodeId, podId).map(main));
  await until(() => gaps().length >= n, 10_000, `${n} restart gaps`);
  return gaps();
}

describe("kubelet events", () => {
  it("a liveness failure: Unhealthy, then Killing, then the container starts again; a deletion: Killing", async () => {
    const r = await rig();
    // The probe fails once, when the test asks for it: the run after the kill is healthy.
    const failOnce = join(r.logDir, "fail-once");
    const probe = execProbe(["sh", "-c", `if [ -f ${failOnce} ]; then rm ${failOnce}; exit 1; fi`]);
    const pod = run(r, "live", [{ command: ["sleep", "30"], livenessProbe: probe }]);
    await r.waitFor(pod.id, (s) => main(s).started, "started");
    writeFileSync(failOnce, "");
    await r.waitFor(pod.id, (s) => main(s).restartCount >= 1 && "running" in main(s).state, "running again after the liveness failure");
    await until(() => r.events(pod.id).filter((e) => e.reason === "Started").length >= 2, 5_000, "Started again");
    const lines = r.events(pod.id).map(line);
    const unhealthy = lines.findIndex((l) => l.startsWith("Warning Unhealthy Liveness probe failed: "));
    const killing = lines.indexOf("Normal Killing Container main failed liveness probe, will be restarted");
    expect(lines[0]).toBe("Normal Started Started container main");
    expect(unhealthy).toBeGreaterThan(0);
    expect(killing).toBeGreaterThan(unhealthy);
    expect(lines.lastIndexOf("Normal Started Started container main")).toBeGreaterThan(killing);

    r.api.deletePod(r.nodeId, pod.id, 1);
    await until(() => r.events(pod.id).some((e) => e.message === "Stopping container main"), 5_000, "Killing on delete");
    expect(r.events(pod.id).at(-1)).toEqual({ podId: pod.id, type: "Normal", reason: "Killing", message: "Stopping container main" });
  });

  it("a crash-looping container: BackOff, with repeats of the same event collapsed", async () => {
    const r = await rig();
    const pod = run(r, "crasher", [{ command: ["sh", "-c", "exit 1"] }]);
    await r.waitFor(pod.id, (s) => main(s).restartCount >= 2, "two restarts", 10_000);
    await until(() => r.events(pod.id).some((e) => e.reason === "BackOff"), 2_000, "BackOff");
    const backOff = r.events(pod.id).find((e) => e.reason === "BackOff");
    expect(backOff).toEqual({ podId: pod.id, type: "Warning", reason: "BackOff", message: `Back-off restarting failed container main in pod ${pod.name}` });
    const lines = r.events(pod.id).map(line);
    // Started and BackOff alternate: each is news, yet no line follows an identical one.
    expect(lines.every((l, i) => i === 0 || l !== lines[i - 1])).toBe(true);
  });

  it("an unknown image: Failed with the ErrImagePull message", async () => {
    const r = await rig();
    const pod = run(r, "badimage", [{ image: "nginx:1.25" }]);
    await until(() => r.events(pod.id).some((e) => e.reason === "Failed"), 5_000, "Failed");
    const failed = r.events(pod.id).find((e) => e.reason === "Failed")!;
    expect(failed.type).toBe("Warning");
    expect(failed.message).toBe((main(r.status(pod.id)!).state as { waiting: { message: string } }).waiting.message);
  });

  it("backoffInitialMs 200 from the API: the first restart comes after about 200 ms", async () => {
    const r = await rig({ kubeletSettings: { backoffInitialMs: 200, backoffMaxMs: 60_000, backoffResetMs: 60_000 } });
    const pod = run(r, "fast", [{ command: ["sh", "-c", "exit 1"] }]);
    const gaps = await gapsOf(r, pod.id, 1);
    expect(gaps[0]).toBeGreaterThanOrEqual(190);
    expect(gaps[0]).toBeLessThan(800);
  });

  it("the API's default is 1000 ms; a change applies to a running container from its next restart", async () => {
    const r = await rig({ kubeletSettings: { ...API_KUBELET_SETTINGS } });
    const node = r.api.nodes.get(r.nodeId)!;
    const pod = run(r, "slow", [{ command: ["sh", "-c", "exit 1"] }]);
    const first = await gapsOf(r, pod.id, 1);
    expect(first[0]).toBeGreaterThanOrEqual(990);
    expect(first[0]).toBeLessThan(1_800);
    node.kubeletSettings = { backoffInitialMs: 100, backoffMaxMs: 150, backoffResetMs: 60_000 };
    await until(() => r.lines.includes("info CrashLoopBackOff 100 ms doubling to 150 ms, reset after 60000 ms of running"), 2_000, "new settings");
    const gaps = await gapsOf(r, pod.id, 3);
    // The second back-off began before or after the change; the third surely after: capped at 150 ms.
    expect(gaps[2]).toBeGreaterThanOrEqual(140);
    expect(gaps[2]).toBeLessThan(700);
  });

  it("events of a failed heartbeat are sent again", async () => {
    const r = await rig();
    let failed = 0;
    r.api.heartbeatFault = (call) =>
      call.podEvents?.length && failed < 3 ? (failed++, new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "database is down" })) : undefined;
    const pod = run(r, "resend", [{ command: ["sleep", "30"] }]);
    await until(() => r.events(pod.id).length > 0, 5_000, "events delivered");
    const started = { podId: pod.id, type: "Normal", reason: "Started", message: "Started container main" };
    const tries = r.api.beatsOf(r.nodeId).filter((b) => b.podEvents?.some((e) => e.podId === pod.id));
    expect(tries.length).toBeGreaterThanOrEqual(4);
    for (const beat of tries.slice(0, 4)) expect(beat.podEvents).toContainEqual(started);
    expect(r.events(pod.id)).toEqual([started]);
  });
});
