// `get pods` a page at a time (pods.page: limit + continue, creation order), as nodes are listed.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startControlPlane, type RunningControlPlane } from "@kube9/api";
import { createKube9Client, type Kube9Client } from "@kube9/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), "../dist/main.js");

describe("pod lists in pages", () => {
  let home: string;
  let api: RunningControlPlane;
  let admin: Kube9Client;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "kube9-cli-pod-pages-"));
    api = await startControlPlane({ port: 0, home: join(home, "api"), runtime: "process", logLevel: "error", log: () => {} });
    admin = createKube9Client({ url: api.url, token: api.token });
    // No nodes: the pods stay Pending, in creation order.
    for (let i = 0; i < 12; i++) await admin.pods.launch.mutate({ name: `pp-${String(i).padStart(2, "0")}`, cpu: 0.1 });
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    rmSync(home, { recursive: true, force: true });
  });

  function kube9(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const env: NodeJS.ProcessEnv = { ...process.env, KUBE9_HOME: join(home, "cli"), NO_COLOR: "1", KUBE9_URL: api.url, KUBE9_TOKEN: api.token };
    delete env.DATABASE_URL;
    return new Promise((done, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => done({ code, stdout, stderr }));
    });
  }

  const names = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `pp-${String(from + i).padStart(2, "0")}`);

  it("pods.page walks every pod once, in creation order, and says how many remain", async () => {
    const first = await admin.pods.page.query({ limit: 5 });
    expect(first.items.map((p) => p.name)).toEqual(names(5));
    expect(first.remaining).toBe(7);
    const second = await admin.pods.page.query({ limit: 5, continue: first.continue! });
    const third = await admin.pods.page.query({ limit: 5, continue: second.continue! });
    expect([...second.items, ...third.items].map((p) => p.name)).toEqual(names(7, 5));
    expect(third.continue).toBeNull();
    // A pod deleted between pages shifts nothing.
    await admin.pods.delete.mutate({ name: "pp-05", gracePeriodSeconds: 0 });
    expect((await admin.pods.page.query({ limit: 2, continue: first.continue! })).items.map((p) => p.name)).toEqual(["pp-06", "pp-07"]);
    await admin.pods.launch.mutate({ name: "pp-05", cpu: 0.1 });
    await expect(admin.pods.page.query({ limit: 5, continue: "nope" })).rejects.toThrow(/continue: "nope" is not a continue token from a previous page/);
    await expect(admin.pods.page.query({ limit: 0 })).rejects.toThrow(/limit/);
    expect((await admin.pods.page.query({ limit: 50, namespace: "kube-system" })).items).toEqual([]);
  });

  it("get pods --limit and --chunk-size fetch pages and note what is left out", async () => {
    const limited = await kube9(["get", "pods", "--limit", "5", "--chunk-size", "2"]);
    expect(limited.code, limited.stderr).toBe(0);
    expect(limited.stdout.trim().split("\n").map((l) => l.split(/\s+/)[0])).toEqual(["NAME", ...names(5)]);
    expect(limited.stderr).toBe("5 pods shown, 7 more match (raise --limit to see them)\n");
    const all = await kube9(["get", "pods", "--chunk-size", "3", "-o", "json"]);
    const items = (JSON.parse(all.stdout) as { items: Array<{ metadata: { name: string } }> }).items.map((i) => i.metadata.name);
    expect(items).toHaveLength(12);
    expect(new Set(items)).toEqual(new Set(names(12)));
    expect((await kube9(["get", "pods", "--chunk-size", "-1"])).stderr).toMatch(/--chunk-size must be a whole number from 0 to 5000/);
    expect((await kube9(["get", "pods", "pp-01", "--limit", "2"])).stderr).toMatch(/--limit and --chunk-size list pods: not with a name or -w/);
  }, 60_000);
});
