import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PodStatusReport } from "@kube9/core";
import { afterEach, describe, expect, it } from "vitest";
import { detectCgroups } from "../containers/cgroups.js";
import { CLOCK_TICKS_PER_SECOND, parseStat } from "../containers/proc.js";
import { silentLogger } from "../log.js";
import { Kubelet } from "./kubelet.js";
import type { ContainersUsage } from "./usage-tracker.js";
import { until } from "../../test/fake-api.js";
import { podOf, processesOfPod } from "../../test/kubelet-helpers.js";

// Real workloads (apps/workload) measured by a real kubelet, with cgroups and with /proc only.
// Figures are checked over three 1 s samples after a 2 s warm-up, as the API would see them.

const detection = detectCgroups();
const cgroupsUsable = detection.layout !== null;
if (!cgroupsUsable) console.warn(`usage tests with cgroups skipped: ${detection.reason}`);

const cleanups: Array<() => Promise<void>> = [];
const podNames: string[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  for (const name of podNames.splice(0)) expect(processesOfPod(name)).toEqual([]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Runs a 500m burner, a 200 MiB holder and an idle pod (workload idle + busybox sleep); returns the samples after warm-up. */
async function measure(cgroups: "auto" | "off") {
  const logDir = mkdtempSync(join(tmpdir(), "kube9-usage-test-"));
  const kubelet = new Kubelet({ nodeId: randomUUID(), log: silentLogger, podLogDir: logDir, cgroups });
  cleanups.push(async () => {
    await kubelet.shutdown(0);
    rmSync(logDir, { recursive: true, force: true });
  });
  // Limits above the use, so the enforcement report shows where the figures come from without limiting them.
  const cpu = podOf("usage-cpu", [{ image: "kube9/workload", args: ["cpu", "--millicores", "500"], limits: { cpuMilli: 1500, memoryMiB: 256 } }]);
  const memory = podOf("usage-mem", [{ image: "kube9/workload", args: ["memory", "--mib", "200"], limits: { memoryMiB: 512 } }]);
  const idle = podOf("usage-idle", [
    { name: "workload", image: "kube9/workload", args: ["idle"], limits: { memoryMiB: 256 } },
    { name: "sleep", command: ["sleep", "60"], limits: { memoryMiB: 16 } },
  ]);
  const pods = [cpu, memory, idle];
  podNames.push(...pods.map((p) => p.name));
  kubelet.sync({ desiredPodIds: pods.map((p) => p.id), assignments: pods });
  const statuses = new Map<string, PodStatusReport>();
  await until(() => {
    for (const s of kubelet.takeStatusChanges()) statuses.set(s.podId, s);
    kubelet.ackStatusChanges();
    return pods.every((p) => statuses.get(p.id)?.phase === "Running");
  }, 5_000, "every pod Running");
  await sleep(2_000);
  // What the burner's processes used by their own account (/proc/<pid>/stat read here, beside each
  // sample): tells a wrong measurement from a workload that burned something other than it was asked.
  const burnerTicks = () => processesOfPod(cpu.name).reduce((sum, pid) => sum + (parseStat(pid, readFileSync(`/proc/${pid}/stat`, "utf8"))?.cpuTicks ?? 0), 0);
  // The first sample covers each container from its start (startup included), so it is already meaningful.
  const first = kubelet.sampleUsage();
  let mark = { ticks: burnerTicks(), at: performance.now() };
  const samples: ContainersUsage[] = [];
  const ownAccount: number[] = [];
  for (let i = 0; i < 3; i++) {
    await sleep(1_000);
    samples.push(kubelet.sampleUsage());
    const next = { ticks: burnerTicks(), at: performance.now() };
    // Ticks are 10 ms of CPU: ticks × 10 ms / elapsed ms = cores, × 1000 = millicores.
    ownAccount.push(((next.ticks - mark.ticks) * (1000 / CLOCK_TICKS_PER_SECOND) * 1000) / (next.at - mark.at));
    mark = next;
  }
  const series = (podId: string, container: string, field: 0 | 1) =>
    samples.map((s) => {
      const figure = s.pods[podId]?.[container];
      expect(figure, `${container} of ${podId} in every sample`).toBeDefined();
      return figure![field];
    });
  return { cpu, memory, idle, statuses, first, samples, series, ownAccount };
}

/** The checks shared by both ways of measuring. */
function expectAccurate(m: Awaited<ReturnType<typeof measure>>, label: string) {
  const burner = m.series(m.cpu.id, "main", 0);
  const held = m.series(m.memory.id, "main", 1);
  const idleCpu = [...m.series(m.idle.id, "workload", 0), ...m.series(m.idle.id, "sleep", 0)];
  const idleWorkloadMiB = m.series(m.idle.id, "workload", 1);
  const sleepMiB = m.series(m.idle.id, "sleep", 1);
  console.info(
    `${label}: burner ${burner.join(", ")} m (asked 500); memory ${held.join(", ")} MiB (200 asked + a Node runtime, idle one ${idleWorkloadMiB.join(", ")}); ` +
      `idle CPU ${idleCpu.join(", ")} m; busybox sleep ${sleepMiB.join(", ")} MiB`,
  );
  const fromStart = m.first.pods[m.cpu.id]?.main?.[0];
  console.info(`${label}: burner's first sample (from its start, over about 2 s) ${fromStart} m; its own /proc account ${m.ownAccount.map(Math.round).join(", ")} m`);
  expect(fromStart).toBeGreaterThan(350);
  expect(fromStart).toBeLessThan(800);
  // The measurement agrees with the burner's own account within 5% (a tick is 1% of 3 × 500m × 1 s)...
  const own = Math.round(mean(m.ownAccount));
  expect(Math.abs(mean(burner) - own), `measured ${burner.join(", ")} m, the burner's own /proc account ${own} m`).toBeLessThanOrEqual(own * 0.05);
  // ...and is 500m ± 15% over the three seconds (a workload starved for a while overshoots afterwards: see the account above).
  const why = `measured ${burner.join(", ")} m; the burner itself used ${own} m`;
  expect(mean(burner), why).toBeGreaterThanOrEqual(425);
  expect(mean(burner), why).toBeLessThanOrEqual(575);
  for (const milli of burner) expect(Number.isInteger(milli)).toBe(true);
  // The holder is a Node process too: 200 MiB ± 10% on top of what the same program holds idle.
  const extra = mean(held) - mean(idleWorkloadMiB);
  expect(extra).toBeGreaterThanOrEqual(180);
  expect(extra).toBeLessThanOrEqual(220);
  // An idle Node runtime is a few MiB (cgroup) to tens of MiB (RSS with its binary's pages); a busybox sleep about one at most.
  for (const milli of idleCpu) expect(milli).toBeLessThan(20);
  for (const mib of idleWorkloadMiB) {
    expect(mib).toBeGreaterThan(1);
    expect(mib).toBeLessThan(80);
  }
  for (const mib of sleepMiB) {
    expect(mib).toBeGreaterThan(0);
    expect(mib).toBeLessThan(5);
  }
  // The total is the sum of what the pods report.
  for (const s of m.samples) {
    const containers = Object.values(s.pods).flatMap((c) => Object.values(c));
    expect(s.total.cpuMilli).toBe(containers.reduce((a, [cpu]) => a + cpu, 0));
    expect(s.total.memoryMiB).toBeCloseTo(containers.reduce((a, [, mib]) => a + mib, 0), 5);
    expect(Object.keys(s.pods).sort()).toEqual([m.cpu.id, m.memory.id, m.idle.id].sort());
  }
}

describe("container usage", () => {
  if (process.env.KUBE9_REQUIRE_CGROUPS === "1" && !cgroupsUsable) {
    it("can use cgroups (KUBE9_REQUIRE_CGROUPS=1)", () => {
      throw new Error(`no usable cgroup hierarchy here: ${detection.reason}`);
    });
  }

  it.runIf(cgroupsUsable)("from cgroups: a 500m burner, a 200 MiB holder and an idle pod", async () => {
    const m = await measure("auto");
    // Read from the containers' cgroups, not /proc.
    const via = `cgroup-${detection.layout?.version}`;
    expect(m.statuses.get(m.cpu.id)?.enforcement?.main).toEqual({ memory: via, cpu: via });
    expectAccurate(m, `cgroup ${detection.layout?.version}`);
    // A cgroup's working set leaves out the Node binary's pages (charged to whoever loaded them first,
    // the agent), so here the holder is 200 MiB ± 10% outright.
    for (const mib of m.series(m.memory.id, "main", 1)) {
      expect(mib).toBeGreaterThanOrEqual(180);
      expect(mib).toBeLessThanOrEqual(220);
    }
  }, 15_000);

  it("from /proc (no cgroups): the same pods, the same figures", async () => {
    const m = await measure("off");
    // No cgroup: the agent's memory guard holds the limit, and nothing limits CPU.
    expect(m.statuses.get(m.cpu.id)?.enforcement?.main).toEqual({ memory: "agent", cpu: "none" });
    expectAccurate(m, "/proc");
  }, 15_000);
});
