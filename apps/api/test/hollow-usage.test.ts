import { randomUUID } from "node:crypto";
import type { PodAssignment, PodSpec } from "@kube9/core";
import { afterEach, describe, expect, it } from "vitest";
import { readEnv, readHollowUsage } from "../src/env.js";
import { heartbeatInput } from "../src/router/schemas.js";
import { HollowRuntime, type AgentApi } from "../src/runtime/hollow-runtime.js";
import { waitFor } from "./harness.js";

// Hollow nodes report made-up use (core's hollowPodUsage) through the same heartbeat as real agents.
// The API here is a stand-in that checks every heartbeat against the real input schema and answers
// with a fixed desired set.

type Beat = Parameters<AgentApi["heartbeat"]>[0];

function spec(containers: Array<{ name: string; image: string; cpuMilli: number; memoryMiB: number }>): PodSpec {
  return {
    containers: containers.map((c) => ({
      name: c.name,
      image: c.image,
      command: [],
      args: [],
      env: [],
      ports: [],
      requests: { cpuMilli: c.cpuMilli, memoryMiB: c.memoryMiB },
      limits: {},
    })),
    restartPolicy: "Always",
    terminationGracePeriodSeconds: 0,
    nodeSelector: {},
  };
}

/** An API that records schema-checked heartbeats and wants `desired` run (specs sent until reported, as the gateway does). */
function standInApi(desired: { ids: string[]; specs: PodAssignment[] }) {
  const beats: Beat[] = [];
  const api: AgentApi = {
    register: async () => ({ role: "worker", heartbeatIntervalMs: 50 }),
    heartbeat: async (input) => {
      beats.push(heartbeatInput.parse(input) as Beat);
      const reported = new Set(input.podIds);
      return { desiredPodIds: [...desired.ids], assignments: desired.specs.filter((a) => desired.ids.includes(a.id) && !reported.has(a.id)), heartbeatIntervalMs: 50 };
    },
    leave: async () => ({ ok: true }),
  };
  return { api, beats };
}

const runtimes: HollowRuntime[] = [];
afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.stopAll();
});

async function hollowNode(api: AgentApi, usage?: ConstructorParameters<typeof HollowRuntime>[1]): Promise<void> {
  const runtime = new HollowRuntime(async () => api, usage);
  runtimes.push(runtime);
  await runtime.start({ nodeId: randomUUID(), name: "h1", cpuMilli: 4000, memoryMiB: 8192, memoryGiven: true, apiUrl: "", token: "t" });
}

describe("hollow node usage", () => {
  it("reports each running container's share of its request, the node total as their sum, nothing for placeholders", async () => {
    const web: PodAssignment = {
      id: randomUUID(),
      name: "web",
      namespace: "default",
      spec: spec([
        { name: "http", image: "kube9/workload", cpuMilli: 500, memoryMiB: 256 },
        { name: "side", image: "busybox", cpuMilli: 100, memoryMiB: 64 },
        { name: "proxy", image: "nginx:1.27", cpuMilli: 1000, memoryMiB: 1024 },
      ]),
    };
    const placeholder = randomUUID();
    const desired = { ids: [web.id, placeholder], specs: [web] };
    const { api, beats } = standInApi(desired);
    await hollowNode(api, { cpuFraction: 0.5, memoryFraction: 0.25, noise: 0 });
    await waitFor(async () => beats.some((b) => b.podUsage?.[web.id] !== undefined));
    const beat = beats.find((b) => b.podUsage?.[web.id])!;
    // http: 500m × 0.5 = 250m, 256 × 0.25 = 64 MiB; side: 100m × 0.5 = 50m, 64 × 0.25 = 16 MiB; nginx never runs.
    expect(beat.podUsage).toEqual({ [web.id]: { http: [250, 64], side: [50, 16] } });
    // 250 + 50 m, 64 + 16 MiB: a hollow node has no agent process of its own.
    expect(beat.usage).toEqual({ cpuMilli: 300, memoryMiB: 80 });
    expect(beat.podIds.sort()).toEqual([web.id, placeholder].sort());

    desired.ids = [placeholder];
    await waitFor(async () => !beats.at(-1)!.podIds.includes(web.id));
    await waitFor(async () => beats.length > 0 && beats.at(-1)!.podUsage === undefined);
    expect(beats.at(-1)!.usage).toEqual({ cpuMilli: 0, memoryMiB: 0 });
  });

  it("with the default options: half of each request, within ±10%", async () => {
    const pod: PodAssignment = { id: randomUUID(), name: "p", namespace: "default", spec: spec([{ name: "main", image: "busybox", cpuMilli: 1000, memoryMiB: 1000 }]) };
    const { api, beats } = standInApi({ ids: [pod.id], specs: [pod] });
    await hollowNode(api);
    await waitFor(async () => beats.filter((b) => b.podUsage?.[pod.id]).length >= 3);
    for (const b of beats.filter((x) => x.podUsage)) {
      const [cpu, mib] = b.podUsage![pod.id]!["main"]!;
      // 1000 × 0.5 × (1 ± 0.1) = 450..550, for CPU (m) and memory (MiB).
      expect(cpu).toBeGreaterThanOrEqual(450);
      expect(cpu).toBeLessThanOrEqual(550);
      expect(mib).toBeGreaterThanOrEqual(450);
      expect(mib).toBeLessThanOrEqual(550);
    }
  });
});

describe("KUBE9_HOLLOW_USAGE", () => {
  it("is read with core's defaults for what is not given", () => {
    expect(readHollowUsage({})).toEqual({ cpuFraction: 0.5, memoryFraction: 0.5, noise: 0.1 });
    expect(readHollowUsage({ KUBE9_HOLLOW_USAGE: "" })).toEqual({ cpuFraction: 0.5, memoryFraction: 0.5, noise: 0.1 });
    expect(readHollowUsage({ KUBE9_HOLLOW_USAGE: "cpu=0.8,noise=0" })).toEqual({ cpuFraction: 0.8, memoryFraction: 0.5, noise: 0 });
    expect(readEnv({ KUBE9_HOLLOW_USAGE: "memory=0.6" }).KUBE9_HOLLOW_USAGE).toEqual({ cpuFraction: 0.5, memoryFraction: 0.6, noise: 0.1 });
  });

  it("refuses a malformed value, naming the variable and what it takes", () => {
    for (const read of [readHollowUsage, readEnv]) {
      expect(() => read({ KUBE9_HOLLOW_USAGE: "noise=2" })).toThrow(
        /^invalid environment: KUBE9_HOLLOW_USAGE: noise must be a number from 0 to 1, got "2" \(expected comma-separated key=value with keys cpu and memory \(0\.\.10, share of each request\) and noise \(0\.\.1\), e\.g\. cpu=0\.5,memory=0\.6,noise=0\.1, or off\)$/,
      );
      expect(() => read({ KUBE9_HOLLOW_USAGE: "gpu=1" })).toThrow(/KUBE9_HOLLOW_USAGE: "gpu=1" is not one of cpu=, memory=, noise=/);
    }
  });
});
