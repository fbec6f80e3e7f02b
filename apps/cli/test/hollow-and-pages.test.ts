// `kube9 hollow` as users run it (a process: joins, registers, Ctrl-C makes the nodes leave, exit 0),
// and `node list` / `get nodes` over many nodes: pages, label selectors, statuses, --limit.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startControlPlane, type RunningControlPlane } from "@kube9/api";
import { createKube9Client, type Kube9Client } from "@kube9/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), "../dist/main.js");

describe("kube9 hollow, and node lists in pages", () => {
  let home: string;
  let api: RunningControlPlane;
  let admin: Kube9Client;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "kube9-cli-hollow-"));
    api = await startControlPlane({ port: 0, home: join(home, "api"), runtime: "process", logLevel: "error", log: () => {} });
    admin = createKube9Client({ url: api.url, token: api.token });
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    rmSync(home, { recursive: true, force: true });
  });

  const env = () => {
    const e: NodeJS.ProcessEnv = { ...process.env, KUBE9_HOME: join(home, "cli"), NO_COLOR: "1", KUBE9_URL: api.url, KUBE9_TOKEN: api.token };
    delete e.DATABASE_URL;
    return e;
  };

  function kube9(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((done, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: env(), stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => done({ code, stdout, stderr }));
    });
  }

  it("kube9 hollow --nodes 30: all Ready; SIGINT makes them leave and exits 0; lists page and filter them", async () => {
    const child = spawn(process.execPath, [CLI, "hollow", "--nodes", "30", "--name-prefix", "h", "--cpu", "2", "--label", "tier=web", "--stats-every", "1"], {
      env: env(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on("close", r));
    const deadline = Date.now() + 30_000;
    while (!/heartbeats\/s/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(out).toMatch(/joined 30\/30 nodes \([\d.]+ s\)\nregistered 30\/30 nodes \([\d.]+ s\)\n/);
    expect(out).toMatch(/30\/30 nodes registered, 0 gone; \d+ heartbeats\/s, p50 [\d.]+ ms/);
    expect((await admin.nodes.list.query({ status: ["Ready"] })).filter((n) => n.name.startsWith("h-"))).toHaveLength(30);

    // 30 more nodes without agents (they stay Provisioning), ten of them zone=b, for the selectors below.
    await admin.nodes.join.mutate({ nodes: Array.from({ length: 30 }, (_, i) => ({ name: `p-${i}`, cpu: 1, labels: { tier: "db", ...(i < 10 ? { zone: "b" } : {}) } })) });

    const limited = await kube9(["get", "nodes", "--limit", "5", "--chunk-size", "2", "--status", "Ready"]);
    expect(limited.code).toBe(0);
    // Header + 5 rows, registration order: h-0..h-4; the rest is counted on stderr.
    expect(limited.stdout.trim().split("\n").map((l) => l.split(/\s+/)[0])).toEqual(["NAME", "h-0", "h-1", "h-2", "h-3", "h-4"]);
    expect(limited.stderr).toMatch(/^5 nodes shown, \d+ more match \(raise --limit to see them\)\n$/);

    const web = await kube9(["node", "list", "-l", "tier=web", "--chunk-size", "7", "-o", "json"]);
    expect(web.code).toBe(0);
    expect((JSON.parse(web.stdout) as Array<{ name: string }>).map((n) => n.name)).toEqual(Array.from({ length: 30 }, (_, i) => `h-${i}`));

    const zoneB = await kube9(["get", "nodes", "-l", "tier=db,zone in (b)", "-o", "json"]);
    expect((JSON.parse(zoneB.stdout) as { items: Array<{ metadata: { name: string } }> }).items.map((n) => n.metadata.name)).toEqual(
      Array.from({ length: 10 }, (_, i) => `p-${i}`),
    );

    const bad = await kube9(["get", "nodes", "-l", "tier in ()"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/-l\/--selector: .*a set needs at least one value/);
    expect((await kube9(["get", "pods", "-l", "a=b"])).stderr).toMatch(/-l\/--selector applies to nodes only/);

    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(out).toMatch(/stopping: nodes leave\n30 nodes left\n/);
    const after = (await admin.nodes.list.query()).filter((n) => n.name.startsWith("h-"));
    expect(new Set(after.map((n) => `${n.status} ${n.reason}`))).toEqual(new Set(["Failed agent left: hollow fleet stopped"]));
  }, 90_000);

  it("bad flags name themselves", async () => {
    expect((await kube9(["hollow", "--nodes", "0"])).stderr).toMatch(/--nodes must be a whole number from 1 to 20000 \(got "0"\)/);
    expect((await kube9(["hollow", "--nodes", "3", "--pod-usage", "cpu=x"])).stderr).toMatch(/--pod-usage: cpu must be a number/);
    expect((await kube9(["node", "list", "--chunk-size", "-1"])).stderr).toMatch(/--chunk-size must be a whole number from 0 to 5000/);
  }, 30_000);
});
