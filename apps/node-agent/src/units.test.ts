import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.js";
import { readConfig } from "./env.js";
import { createLogger } from "./log.js";
import { convergePods } from "./reconcile.js";
import { createHeartbeatUsage, createProcessUsageSampler } from "./usage.js";

const goodEnv = {
  KUBE9_URL: "http://127.0.0.1:7070",
  KUBE9_NODE_ID: "0b1f2c3d-0000-4000-8000-000000000001",
  KUBE9_NODE_TOKEN: "secret-token",
};

describe("readConfig", () => {
  it("accepts a complete environment with defaults", () => {
    expect(readConfig(goodEnv)).toEqual({
      ok: true,
      config: { url: goodEnv.KUBE9_URL, nodeId: goodEnv.KUBE9_NODE_ID, token: "secret-token", name: undefined, logLevel: "info", podLogDir: undefined, cgroups: "auto", podNetwork: "auto" },
    });
    const named = readConfig({ ...goodEnv, KUBE9_NODE_NAME: "w1", KUBE9_LOG_LEVEL: "DEBUG" });
    expect(named.ok && named.config).toMatchObject({ name: "w1", logLevel: "debug" });
  });

  it("reports every problem at once and never echoes the token", () => {
    const result = readConfig({ KUBE9_URL: "ftp://x", KUBE9_NODE_TOKEN: "has space", KUBE9_LOG_LEVEL: "loud" });
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors).toHaveLength(4);
    expect(errors.join("\n")).toMatch(/KUBE9_URL must start with http/);
    expect(errors.join("\n")).toMatch(/KUBE9_NODE_ID is required/);
    expect(errors.join("\n")).toMatch(/KUBE9_LOG_LEVEL must be one of error\|warn\|info\|debug/);
    expect(errors.join("\n")).not.toContain("has space");
    expect(readConfig({ ...goodEnv, KUBE9_URL: "not a url" }).ok).toBe(false);
    // Several API addresses, separated by commas: each one is checked.
    const two = readConfig({ ...goodEnv, KUBE9_URL: "http://127.0.0.1:7070, http://127.0.0.1:7071" });
    expect(two.ok && two.config.url).toBe("http://127.0.0.1:7070, http://127.0.0.1:7071");
    const bad = readConfig({ ...goodEnv, KUBE9_URL: "http://127.0.0.1:7070,ftp://y" });
    expect(bad.ok ? [] : bad.errors).toEqual(['KUBE9_URL must start with http:// or https://, got "ftp://y"']);
    expect(readConfig({ ...goodEnv, KUBE9_URL: " , " }).ok).toBe(false);
    expect(readConfig({ ...goodEnv, KUBE9_NODE_TOKEN: "  " }).ok).toBe(false);
  });

  it("reads the container log directory, the cgroups mode and the pod network mode", () => {
    const custom = readConfig({ ...goodEnv, KUBE9_POD_LOG_DIR: "/var/tmp/pods", KUBE9_CGROUPS: "OFF", KUBE9_POD_NETWORK: "off" });
    expect(custom.ok && custom.config).toMatchObject({ podLogDir: "/var/tmp/pods", cgroups: "off", podNetwork: "off" });
    const bad = readConfig({ ...goodEnv, KUBE9_POD_LOG_DIR: "relative/dir", KUBE9_CGROUPS: "maybe", KUBE9_POD_NETWORK: "bridge" });
    expect(bad.ok ? [] : bad.errors).toEqual([
      'KUBE9_POD_LOG_DIR must be an absolute path, got "relative/dir"',
      'KUBE9_CGROUPS must be one of auto|off, got "maybe"',
      'KUBE9_POD_NETWORK must be one of auto|off, got "bridge"',
    ]);
  });
});

describe("backoffDelay", () => {
  it("doubles from 100 ms up to 5 s, plus up to 20% jitter", () => {
    const none = () => 0;
    expect([0, 1, 2, 3, 5, 6, 10, 100].map((n) => backoffDelay(n, undefined, none))).toEqual([
      100, 200, 400, 800, 3200, 5000, 5000, 5000,
    ]);
    expect(backoffDelay(0, undefined, () => 1)).toBe(120);
    expect(backoffDelay(20, undefined, () => 1)).toBe(6000);
  });
});

describe("convergePods", () => {
  it("adds missing ids, removes extra ones, and reports both", () => {
    const pods = new Set(["a", "b"]);
    expect(convergePods(pods, ["b", "c", "c"])).toEqual({ started: ["c"], stopped: ["a"] });
    expect([...pods].sort()).toEqual(["b", "c"]);
    expect(convergePods(pods, ["c", "b"])).toEqual({ started: [], stopped: [] });
  });
});

describe("createLogger", () => {
  it("prefixes lines with the node name and filters by level", () => {
    const lines: string[] = [];
    const log = createLogger({ name: "w1", level: "warn", write: (l) => lines.push(l) });
    log.debug("hidden");
    log.info("hidden too");
    log.warn("slow API");
    log.error("removed");
    expect(lines).toEqual(["[agent w1] warn: slow API", "[agent w1] error: removed"]);
    const info: string[] = [];
    createLogger({ name: "w2", write: (l) => info.push(l) }).info("pod started p1");
    expect(info).toEqual(["[agent w2] pod started p1"]);
  });
});

describe("createProcessUsageSampler", () => {
  it("reports this process's CPU in millicores and RSS in MiB", () => {
    const sample = createProcessUsageSampler();
    const spinUntil = performance.now() + 30;
    while (performance.now() < spinUntil) {
      // Busy loop so there is CPU use to see.
    }
    const usage = sample();
    expect(Number.isInteger(usage.cpuMilli)).toBe(true);
    expect(usage.cpuMilli).toBeGreaterThan(0);
    // One thread cannot use more than one core (plus a little for GC and I/O threads).
    expect(usage.cpuMilli).toBeLessThan(1500);
    expect(usage.memoryMiB).toBeGreaterThan(10);
  });
});

describe("createHeartbeatUsage", () => {
  it("samples containers and agent together, at most once per interval, and never repeats a pod that left", async () => {
    let passes = 0;
    const containers = () => {
      passes++;
      return { total: { cpuMilli: 300, memoryMiB: 20.5 }, pods: { a: { main: [200, 10] as [number, number] }, b: { main: [100, 10.5] as [number, number] } } };
    };
    const sample = createHeartbeatUsage(containers, () => ({ cpuMilli: 7, memoryMiB: 40.2 }), 200);
    // 7 + 300 m; 40.2 + 20.5 MiB.
    const first = sample(["a", "b"]);
    expect(first).toEqual({ usage: { cpuMilli: 307, memoryMiB: 60.7 }, agentUsage: { cpuMilli: 7, memoryMiB: 40.2 }, podUsage: containers().pods });
    passes = 1;
    // A beat right after (a confirmation) repeats the sample, without pod b that stopped meanwhile.
    expect(sample(["a"])).toEqual({ ...first, podUsage: { a: { main: [200, 10] } } });
    expect(sample([])).toEqual({ usage: first.usage, agentUsage: first.agentUsage });
    expect(passes).toBe(1);
    await new Promise((r) => setTimeout(r, 220));
    sample(["a", "b"]);
    expect(passes).toBe(2);
  });
});

describe("createLogger json", () => {
  it("writes one JSON object per line with time, level, node and msg", () => {
    const lines: string[] = [];
    createLogger({ name: "w3", json: true, write: (l) => lines.push(l) }).warn("slow API");
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(rec).toMatchObject({ level: "warn", node: "w3", msg: "slow API" });
    expect(typeof rec.time).toBe("string");
  });
});
