import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../src/router/_app.js";
import { startControlPlane, type RunningControlPlane } from "../src/server.js";
import { tableSnapshot } from "./db-snapshot.js";
import { freshPostgres, postgresRequiredButMissing } from "./harness.js";

/**
 * Regressions (issue 13, findings 1 and 1b), over real HTTP against PostgreSQL: inputs that got a 500 or slipped
 * through. A 5,000-deep JSON array on a mutation -> 500; a NUL or a lone surrogate in a string PostgreSQL stores
 * -> 500; unknown keys dropped silently (pods.launch with status/nodeId created a pod); cluster.setHealth {}
 * accepted and recorded; error text quoting the whole input; heartbeats without caps or a rate limit.
 */

const ADMIN = "k9a.input-hardening-admin-token-0123456789";
const pgUrl = process.env.KUBE9_TEST_PG_URL;

it("the input-hardening suite runs on PostgreSQL when CI requires it", () => {
  expect(postgresRequiredButMissing(), "KUBE9_REQUIRE_POSTGRES=1 but KUBE9_TEST_PG_URL is not set").toBe(false);
});

interface Answer {
  status: number;
  text: string;
  message: string;
  code: string | undefined;
  field: string | undefined;
}

describe.runIf(pgUrl)("input hardening (real HTTP, PostgreSQL)", () => {
  let home: string;
  let api: RunningControlPlane;
  let database: { url: string; drop(): Promise<void> };
  let sql: pg.Client;
  let node: { nodeId: string; token: string };

  const post = async (path: string, body: string, token = ADMIN): Promise<Answer> => {
    const res = await fetch(`${api.url}/trpc/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body,
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    let parsed: { error?: { message?: string; data?: { code?: string; field?: string } } } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // not JSON: the assertions on status say enough
    }
    return { status: res.status, text, message: parsed.error?.message ?? "", code: parsed.error?.data?.code, field: parsed.error?.data?.field };
  };
  const snapshot = () => tableSnapshot(async (q) => (await sql.query(q)).rows as Array<Record<string, unknown>>);
  const beat = (report: Record<string, unknown>) => post("agent.heartbeat", JSON.stringify(report), node.token);
  const goodBeat = { podIds: [], usage: { cpuMilli: 0, memoryMiB: 0 }, components: { kubelet: "Healthy" } };

  beforeAll(async () => {
    database = await freshPostgres(pgUrl!);
    sql = new pg.Client({ connectionString: database.url });
    home = mkdtempSync(join(tmpdir(), "kube9-input-"));
    api = await startControlPlane({ port: 0, home, adminToken: ADMIN, runtime: "process", databaseUrl: database.url, logLevel: "error", log: () => {} });
    await sql.connect();
    // Nothing must move on its own while the tests compare snapshots: a node without beats stays Ready.
    expect((await post("cluster.setHealth", JSON.stringify({ suspectAfterMs: 3_000_000, failedAfterMs: 3_600_000, provisioningTimeoutMs: 3_600_000 }))).status).toBe(200);
    const joined = await post("nodes.join", JSON.stringify({ nodes: [{ name: "edge-1", cpu: 4 }] }));
    node = (JSON.parse(joined.text) as { result: { data: { nodes: Array<{ nodeId: string; token: string }> } } }).result.data.nodes[0]!;
    expect((await post("agent.register", JSON.stringify({ nodeId: node.nodeId }), node.token)).status).toBe(200);
  });
  afterAll(async () => {
    await api?.close();
    await sql?.end();
    await database?.drop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("a 5,000-deep JSON array to every mutation answers 400 naming the nesting, never 500, and changes nothing", async () => {
    const deep = "[".repeat(5000) + "]".repeat(5000);
    // tokens.join takes only a bootstrap token (checked before the body): made before the snapshot.
    const made = await post("tokens.create", JSON.stringify({ ttlMs: 600_000 }), ADMIN);
    const bootstrap = (JSON.parse(made.text) as { result: { data: { token: string } } }).result.data.token;
    const before = await snapshot();
    const mutations = Object.entries(appRouter._def.procedures as Record<string, { _def: { type: string } }>)
      .filter(([, p]) => p._def.type === "mutation")
      .map(([path]) => path);
    expect(mutations.length).toBeGreaterThan(30);
    const bad: string[] = [];
    for (const path of mutations) {
      const token = path.startsWith("agent.") ? node.token : path === "tokens.join" ? bootstrap : ADMIN;
      for (const body of [deep, `{"name":${deep}}`]) {
        const a = await post(path, body, token);
        if (a.status !== 400 || !/nested/.test(a.message)) bad.push(`${path} ${body.slice(0, 9)}: HTTP ${a.status} ${a.message.slice(0, 120)}`);
      }
    }
    expect(bad).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it("a NUL or a lone surrogate in any stored string answers 400 naming the field, and nothing is stored", async () => {
    const before = await snapshot();
    const cases: Array<[string, string, Record<string, unknown>, string]> = [
      ["pods.launch", ADMIN, { name: "nul-env", image: "busybox", env: { A: "a\u0000b" } }, "env.A"],
      ["pods.launch", ADMIN, { name: "sur-env", image: "busybox", env: { A: "a\ud800b" } }, "env.A"],
      ["pods.launch", ADMIN, { name: "nul-key", image: "busybox", env: { "A\u0000": "x" } }, "env"],
      ["pods.launch", ADMIN, { name: "nul-image", image: "busy\u0000box" }, "image"],
      ["pods.launch", ADMIN, { name: "nul-cmd", image: "busybox", command: ["sleep", "1\udc00"] }, "command[1]"],
      ["pods.launch", ADMIN, { name: "nul-\u0000name", cpu: 0.1 }, "name"],
      ["pods.launch", ADMIN, { name: "nul-label", cpu: 0.1, labels: { app: "x\u0000" } }, "labels.app"],
      ["agent.heartbeat", node.token, { ...goodBeat, podIds: ["00000000-0000-4000-8000-00000000000\u0000"] }, "podIds[0]"],
      ["agent.heartbeat", node.token, { ...goodBeat, components: { "kube\u0000let": "Healthy" } }, "components"],
      ["agent.heartbeat", node.token, { ...goodBeat, components: { "kube\ud800let": "Healthy" } }, "components"],
      [
        "agent.heartbeat",
        node.token,
        { ...goodBeat, podEvents: [{ podId: "00000000-0000-4000-8000-000000000001", type: "Warning", reason: "BackOff", message: "x\u0000" }] },
        "podEvents[0].message",
      ],
      ["alerts.setRule", ADMIN, { name: "rule\u0000", threshold: 1 }, "name"],
    ];
    const bad: string[] = [];
    for (const [path, token, input, field] of cases) {
      const a = await post(path, JSON.stringify(input), token);
      if (a.status !== 400 || !a.message.startsWith(`${field}`) || a.field === undefined) bad.push(`${path} ${field}: HTTP ${a.status} field=${a.field} ${a.message.slice(0, 160)}`);
    }
    expect(bad).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it("unknown keys are refused naming them: pods.launch with status/nodeId creates nothing", async () => {
    const before = await snapshot();
    const a = await post("pods.launch", JSON.stringify({ name: "sneaky", cpu: 0.1, status: "Running", nodeId: node.nodeId }));
    expect(a.status).toBe(400);
    expect(a.message).toMatch(/^status: unknown field/);
    expect(a.message).toContain("nodeId: unknown field");
    // What is allowed is said too.
    expect(a.message).toMatch(/allowed: name, namespace, cpu/);
    for (const [path, token, input, field] of [
      ["nodes.add", ADMIN, { name: "n-x", cpu: 1, status: "Ready" }, "status"],
      ["pods.delete", ADMIN, { name: "x", force: true }, "force"],
      ["cluster.setAlgorithm", ADMIN, { algorithm: "best-fit", extra: 1 }, "extra"],
      ["agent.heartbeat", node.token, { ...goodBeat, nodeName: "edge-1" }, "nodeName"],
      ["agent.heartbeat", node.token, { ...goodBeat, usage: { cpuMilli: 0, memoryMiB: 0, gpu: 1 } }, "usage.gpu"],
      ["agent.register", node.token, { nodeId: node.nodeId, role: "master" }, "role"],
    ] as const) {
      const r = await post(path, JSON.stringify(input), token);
      expect(r.status, `${path} ${r.message}`).toBe(400);
      expect(r.field, path).toBe(field);
      expect(r.message, path).toMatch(new RegExp(`^${field.replace(".", "\\.")}: unknown field`));
    }
    expect(await snapshot()).toEqual(before);
  });

  it("cluster.setHealth {} is refused and records nothing", async () => {
    const before = await snapshot();
    const a = await post("cluster.setHealth", "{}");
    expect(a.status).toBe(400);
    expect(a.message).toMatch(/at least one setting/);
    expect(a.message).toContain("heartbeatIntervalMs");
    expect(await snapshot()).toEqual(before);
  });

  it("error text is bounded: a 900 KB name, a 900 KB unknown key and 1,000 bad items answer in a few KB", async () => {
    const big = "x".repeat(900_000);
    for (const [path, body] of [
      ["pods.launch", JSON.stringify({ name: big, cpu: 0.1 })],
      ["pods.launch", JSON.stringify({ name: "ok", cpu: 0.1, [big]: 1 })],
      ["pods.launchMany", JSON.stringify({ items: Array.from({ length: 1000 }, () => ({ name: "x".repeat(600), cpu: -1 })) })],
      ["nodes.join", JSON.stringify({ nodes: [{ name: "n", cpu: big }] })],
    ] as const) {
      const a = await post(path, body);
      expect(a.status, path).toBe(400);
      expect(a.text.length, `${path}: ${a.text.slice(0, 200)}`).toBeLessThan(8 * 1024);
      expect(a.message.length).toBeGreaterThan(10);
    }
    const named = await post("pods.launch", JSON.stringify({ name: big, cpu: 0.1 }));
    expect(named.message).toMatch(/^name: must be at most 63 characters \(got "x{100}…" \(900000 characters\)\)$/);
  });

  it("heartbeat payloads are capped: pod ids, component keys, statuses, events and string lengths", async () => {
    const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
    const status = (n: number) => ({ podId: id(n), phase: "Running", containerStatuses: [], conditions: [] });
    const event = (n: number) => ({ podId: id(n), type: "Normal", reason: "Started", message: "m" });
    const before = await snapshot();
    for (const [report, field, rule] of [
      [{ ...goodBeat, podIds: Array.from({ length: 1001 }, (_, n) => id(n)) }, "podIds", /at most 1000/],
      [{ ...goodBeat, podIds: ["not-a-pod-id"] }, "podIds[0]", /pod id/],
      [{ ...goodBeat, components: Object.fromEntries(Array.from({ length: 33 }, (_, n) => [`c${n}`, "Healthy"])) }, "components", /at most 32/],
      [{ ...goodBeat, components: { ["k".repeat(65)]: "Healthy" } }, `components.${"k".repeat(65)}`, /at most 64 characters/],
      [{ ...goodBeat, podStatuses: Array.from({ length: 1001 }, (_, n) => status(n)) }, "podStatuses", /at most 1000/],
      [{ ...goodBeat, podEvents: Array.from({ length: 201 }, (_, n) => event(n)) }, "podEvents", /at most 200/],
      [{ ...goodBeat, podEvents: [{ ...event(1), message: "m".repeat(1025) }] }, "podEvents[0].message", /1024/],
    ] as const) {
      const a = await beat(report);
      expect(a.status, a.message).toBe(400);
      expect(a.field).toBe(field);
      expect(a.message).toMatch(rule);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("a node beating far faster than its interval gets 429 TOO_MANY_REQUESTS, and a refused beat changes nothing", async () => {
    const started = Date.now();
    const statuses: number[] = [];
    let refused: Answer | undefined;
    for (let i = 0; i < 300; i++) {
      const a = await beat(goodBeat);
      statuses.push(a.status);
      if (a.status === 429) refused ??= a;
    }
    const seconds = (Date.now() - started) / 1000;
    const accepted = statuses.filter((s) => s === 200).length;
    console.log(`300 back-to-back beats in ${seconds.toFixed(1)} s: ${accepted} accepted, ${statuses.filter((s) => s === 429).length} refused with 429`);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(refused?.code).toBe("TOO_MANY_REQUESTS");
    expect(refused?.message).toMatch(/faster than its heartbeat interval/);
    // The budget: a burst of 50, then 10 per interval (1 s here).
    expect(accepted).toBeLessThanOrEqual(50 + Math.ceil(seconds * 10) + 1);
    // A refused beat's report is not taken. With a 10-minute interval the budget refills one beat a minute, so
    // the next beat is refused whatever this machine's speed.
    expect((await post("cluster.setHealth", JSON.stringify({ heartbeatIntervalMs: 600_000 }))).status).toBe(200);
    for (let i = 0; i < 60; i++) await beat(goodBeat);
    const before = await snapshot();
    const changed = await beat({ ...goodBeat, podIds: ["00000000-0000-4000-8000-000000000009"], components: { kubelet: "Unhealthy" } });
    expect(changed.status).toBe(429);
    expect(changed.message).toMatch(/^node edge-1 sends heartbeats far faster than its heartbeat interval of 600000 ms .* retry in \d+ ms$/);
    expect(await snapshot()).toEqual(before);
    const described = await fetch(`${api.url}/trpc/nodes.get?input=${encodeURIComponent(JSON.stringify({ name: "edge-1" }))}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(JSON.stringify(await described.json())).not.toContain("Unhealthy");
    expect((await post("cluster.setHealth", JSON.stringify({ heartbeatIntervalMs: 1000 }))).status).toBe(200);
  });

  it("a chunked body over 1 MiB without a Content-Length is refused with 413, and nothing is launched", async () => {
    const before = await snapshot();
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${api.url}/trpc/pods.launch`);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked", authorization: `Bearer ${ADMIN}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", (err) => (/EPIPE|ECONNRESET/.test(String(err)) ? undefined : reject(err)));
      req.write('{"name":"chunked","cpu":0.1,"pad":"');
      const chunk = "x".repeat(64 * 1024);
      let sent = 0;
      const more = () => {
        while (sent < 3 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", more);
        }
        req.end('"}');
      };
      more();
    });
    expect(status).toBe(413);
    expect(await snapshot()).toEqual(before);
  });
});
