/**
 * Pods that run containers, through the real API with real node agents:
 *  - pod launch -> container process running -> pod Ready (median of 20), process and docker nodes;
 *  - the API's CPU per heartbeat with 10 containers per node, against nodes with none;
 *  - memory per idle container on the node (its own processes, and what it adds to the agent).
 *
 * Run: npm run build && npx tsx bench/pods-bench.ts
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Kube9Client } from "@kube9/client";
import { withControlPlane } from "./api-bench.js";
import { cpuSeconds, median, pidsWithEnv, rssMiB, until } from "./lib.js";

async function readyNode(c: Kube9Client, name: string, cpu: number, runtime: "process" | "docker"): Promise<void> {
  if (runtime === "docker") await c.nodes.prepareRuntime.mutate({ runtime });
  await c.nodes.add.mutate({ name, cpu, runtime, labels: { bench: name } });
  await until(async () => (await c.nodes.get.query({ name })).node.status === "Ready", 60_000, 10);
}

/** Launch -> Ready times (ms) of `runs` busybox pods, one after the other, on one node of the runtime. */
export async function podReadyTimes(runtime: "process" | "docker", runs = 20): Promise<number[]> {
  return withControlPlane(undefined, async (c) => {
    await readyNode(c, "ready-node", 4, runtime);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const name = `ready-${i}`;
      const t0 = performance.now();
      await c.pods.launch.mutate({ name, image: "busybox", command: ["sleep", "3600"], limitCpu: 0.05, limitMemoryMiB: 16, nodeSelector: { bench: "ready-node" } });
      await until(async () => (await c.pods.get.query({ name })).pod.conditions.some((x) => x.type === "Ready" && x.status === "True"), 10_000, 2);
      times.push(performance.now() - t0);
      await c.pods.delete.mutate({ name, gracePeriodSeconds: 0 });
    }
    return times;
  });
}

/** The API's CPU milliseconds per heartbeat, over `seconds`, with `nodes` process nodes each running `perNode` idle containers. */
export async function heartbeatCost(nodes: number, perNode: number, seconds = 15): Promise<{ msPerBeat: number; beats: number }> {
  return withControlPlane(undefined, async (c, apiPid) => {
    for (let n = 0; n < nodes; n++) await readyNode(c, `hb-${n}`, 4, "process");
    for (let n = 0; n < nodes; n++) {
      for (let i = 0; i < perNode; i++) {
        await c.pods.launch.mutate({ name: `hb-${n}-${i}`, image: "busybox", command: ["sleep", "3600"], limitCpu: 0.01, limitMemoryMiB: 8, nodeSelector: { bench: `hb-${n}` } });
      }
    }
    await until(async () => (await c.pods.list.query()).every((p) => p.phase === "Running"), 30_000, 100);
    await new Promise((r) => setTimeout(r, 2000));
    const cpu0 = cpuSeconds(apiPid);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const cpu = cpuSeconds(apiPid) - cpu0;
    // Each node beats once per second (the default interval), so beats = nodes x elapsed seconds.
    const count = nodes * ((performance.now() - t0) / 1000);
    return { msPerBeat: (cpu * 1000) / count, beats: Math.round(count) };
  });
}

/** Memory of idle containers: each one's own RSS, and what 10 of them add to their node's agent. */
export async function idleContainerMemory(count = 10): Promise<{ busyboxMiB: number; workloadMiB: number; agentPerContainerMiB: number }> {
  return withControlPlane(undefined, async (c) => {
    await readyNode(c, "mem-node", 4, "process");
    const [agentPid] = pidsWithEnv("KUBE9_NODE_NAME=mem-node");
    const agentBefore = rssMiB(agentPid!);
    for (let i = 0; i < count; i++) {
      await c.pods.launch.mutate({ name: `mem-${i}`, image: "busybox", command: ["sleep", "3600"], limitCpu: 0.01, limitMemoryMiB: 8, nodeSelector: { bench: "mem-node" } });
    }
    await c.pods.launch.mutate({ name: "mem-workload", image: "kube9/workload", args: ["idle"], limitCpu: 0.05, limitMemoryMiB: 128, nodeSelector: { bench: "mem-node" } });
    await until(async () => (await c.pods.list.query()).every((p) => p.phase === "Running"), 30_000, 100);
    await new Promise((r) => setTimeout(r, 2000));
    const podRss = (pod: string) => pidsWithEnv(`POD_NAME=${pod}`).reduce((sum, pid) => sum + rssMiB(pid), 0);
    const busybox = median(Array.from({ length: count }, (_, i) => podRss(`mem-${i}`)));
    return { busyboxMiB: busybox, workloadMiB: podRss("mem-workload"), agentPerContainerMiB: (rssMiB(agentPid!) - agentBefore) / (count + 1) };
  });
}

/** Runs every pod benchmark and prints the figures. */
export async function runPodsBench(log: (s: string) => void = console.log, docker = false): Promise<void> {
  for (const runtime of docker ? (["process", "docker"] as const) : (["process"] as const)) {
    const t = await podReadyTimes(runtime, 20);
    log(`pod launch -> container running -> Ready (${runtime} node): median ${median(t).toFixed(0)} ms over ${t.length} (min ${Math.min(...t).toFixed(0)}, max ${Math.max(...t).toFixed(0)}; aim < 300)`);
  }
  const none = await heartbeatCost(5, 0);
  const ten = await heartbeatCost(5, 10);
  log(`API CPU per heartbeat (5 process nodes, 1 s interval): ${none.msPerBeat.toFixed(2)} ms with no containers, ${ten.msPerBeat.toFixed(2)} ms with 10 containers per node (${ten.beats} beats)`);
  const m = await idleContainerMemory(10);
  log(`memory per idle container: busybox sleep ${m.busyboxMiB.toFixed(1)} MiB, kube9/workload idle ${m.workloadMiB.toFixed(1)} MiB; the agent grows ${m.agentPerContainerMiB.toFixed(2)} MiB per container`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runPodsBench(console.log, process.argv.includes("--docker"));
  process.exit(0);
}
