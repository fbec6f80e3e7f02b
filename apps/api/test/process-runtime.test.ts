import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKube9Client } from "@kube9/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_NODE_FLAGS, agentNodeArgs, resolveAgentEntry } from "../src/runtime/process-runtime.js";
import { startControlPlane, type RunningControlPlane } from "../src/server.js";
import { waitFor } from "./harness.js";

/** The pid of the process whose environment has KUBE9_NODE_NAME=<name> (the runtime sets it). */
function agentPid(name: string): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "utf8").split("\0").includes(`KUBE9_NODE_NAME=${name}`)) return Number(entry);
    } catch {
      // Gone, or not ours to read.
    }
  }
  return undefined;
}

describe("process runtime: how agents are started", () => {
  it("prefers the one-file bundle, falls back to main.js, and an explicit entry wins", () => {
    const dist = mkdtempSync(join(tmpdir(), "kube9-agent-dist-"));
    try {
      expect(resolveAgentEntry(undefined, dist)).toBe(join(dist, "main.js"));
      writeFileSync(join(dist, "agent.bundle.cjs"), "");
      expect(resolveAgentEntry(undefined, dist)).toBe(join(dist, "agent.bundle.cjs"));
      expect(resolveAgentEntry("/opt/agent.js", dist)).toBe("/opt/agent.js");
    } finally {
      rmSync(dist, { recursive: true, force: true });
    }
  });

  it("passes the agent flags, then KUBE9_AGENT_NODE_ARGS", () => {
    expect(agentNodeArgs({})).toEqual([...AGENT_NODE_FLAGS]);
    expect(agentNodeArgs({ KUBE9_AGENT_NODE_ARGS: "  --cpu-prof   --cpu-prof-dir=/tmp/p " })).toEqual([...AGENT_NODE_FLAGS, "--cpu-prof", "--cpu-prof-dir=/tmp/p"]);
  });

  describe("a real agent under those flags", () => {
    let home: string;
    let api: RunningControlPlane;
    let c: ReturnType<typeof createKube9Client>;

    beforeAll(async () => {
      home = mkdtempSync(join(tmpdir(), "kube9-process-runtime-"));
      mkdirSync(home, { recursive: true });
      api = await startControlPlane({ port: 0, home, runtime: "process", logLevel: "error", log: () => {} });
      c = createKube9Client({ url: api.url, token: api.token });
    }, 60_000);
    afterAll(async () => {
      await api?.close();
      rmSync(home, { recursive: true, force: true });
    });

    it("registers, runs a container and reports it Running", async () => {
      await c.nodes.add.mutate({ name: "flags", cpu: 1, memoryMiB: 1024, labels: { case: "flags" } });
      await waitFor(async () => (await c.nodes.get.query({ name: "flags" })).node.status === "Ready", 15_000);
      const pid = agentPid("flags");
      expect(pid).toBeDefined();
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
      expect(argv.slice(1, 1 + AGENT_NODE_FLAGS.length)).toEqual([...AGENT_NODE_FLAGS]);
      expect(argv[1 + AGENT_NODE_FLAGS.length]).toBe(resolveAgentEntry());

      await c.pods.launch.mutate({ name: "flags-pod", image: "busybox", command: ["sleep", "3600"], limitCpu: 0.05, limitMemoryMiB: 16, nodeSelector: { case: "flags" } });
      await waitFor(async () => (await c.pods.get.query({ name: "flags-pod" })).pod.phase === "Running", 15_000);
      // Usage flows from the agent under these flags too.
      await waitFor(async () => ((await c.usage.nodes.query()).find((n) => n.name === "flags")?.usage?.memoryMiB ?? 0) > 0, 5_000);
    }, 40_000);
  });
});
