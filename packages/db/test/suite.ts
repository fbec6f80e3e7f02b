import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_HEALTH_CONFIG, DEFAULT_POLICY } from "@kube9/core";
import type { NodeStatus, PodSpec } from "@kube9/core";
import { ConflictError } from "../src/index.js";
import type { Database, EventRecord, NodeRecord, PodRecord } from "../src/index.js";
import { MIGRATIONS } from "../src/migrations/index.js";
import { rawSql, schemaDrift } from "../src/testing.js";
import { usageSuite } from "./usage-suite.js";
import { nodeGroupSuite } from "./node-group-suite.js";
import { bootstrapTokenSuite } from "./bootstrap-token-suite.js";
import { namespaceSuite } from "./namespace-suite.js";

/** How a test file provides a database: PGlite in a temp dir or a fresh PostgreSQL database. */
export interface Backend {
  kind: "pglite" | "postgres";
  /** Opens another handle on the same database (PGlite: only one at a time). */
  open(opts?: { poolSize?: number }): Promise<Database>;
  /** Can two handles be open on the database at once (two API processes)? */
  multiProcess: boolean;
}

const T0 = 1_750_000_000_000;
const GiB = 1024;
/** A pod spec as the API stores it (normalized, quantities in millicores and MiB). */
const SPEC: PodSpec = {
  containers: [
    { name: "main", image: "busybox", command: ["sleep", "3600"], args: [], env: [], ports: [], requests: { cpuMilli: 250 }, limits: { memoryMiB: 64 } },
  ],
  restartPolicy: "Always",
  terminationGracePeriodSeconds: 30,
  nodeSelector: { zone: "a" },
};

/** The repositories' behaviour every backend must show; run once per backend. */
export function storeSuite(backend: Backend): void {
  let db: Database;
  let n = 0;
  const uniq = (p: string) => `${p}-${++n}`;

  async function node(
    cpuCores: number,
    opts: { status?: NodeStatus; memoryMiB?: number; name?: string; labels?: Record<string, string> } = {},
  ): Promise<NodeRecord> {
    return db.nodes.create({
      name: opts.name ?? uniq("node"),
      role: "worker",
      runtime: "hollow",
      capacity: { cpuMilli: cpuCores * 1000, memoryMiB: opts.memoryMiB ?? 64 * GiB },
      labels: opts.labels ?? {},
      credentialHash: "hash",
      status: opts.status ?? "Ready",
      now: T0,
    });
  }

  /** A new pod: Pending, or created bound to `bindTo` when that node is Ready with room. */
  async function pod(cpuMilli: number, memoryMiB = 128, name?: string, bindTo?: string): Promise<PodRecord> {
    return db.pods.create({
      name: name ?? uniq("pod"),
      namespace: "default",
      request: { cpuMilli, memoryMiB },
      labels: { app: "web" },
      nodeSelector: {},
      algorithm: null,
      now: T0,
      bindTo: bindTo === undefined ? undefined : { nodeId: bindTo, message: "m" },
    });
  }

  /** Scheduled/Running -> Terminating, keeping the reservation (what a graceful delete starts with). */
  async function markTerminating(podId: string): Promise<void> {
    await db.pods.markTerminating(podId, T0);
  }

  beforeAll(async () => {
    db = await backend.open({ poolSize: 16 });
  });

  afterAll(async () => {
    await db?.close();
  });

  beforeEach(async () => {
    await rawSql(db).rows("truncate table event, pod, node_lease, node, cluster, usage_history, node_group, network_policy");
    await rawSql(db).rows("delete from namespace where name <> 'default'");
  });

  describe("migrations", () => {
    it("are recorded once and re-opening the database is a no-op", async () => {
      if (backend.multiProcess) {
        const again = await backend.open();
        await again.close();
      } else {
        await db.close();
        db = await backend.open();
        await db.close();
        db = await backend.open({ poolSize: 16 });
      }
      const rows = await rawSql(db).rows("select name from mikro_orm_migrations");
      expect(rows.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
      const tables = await rawSql(db).rows(
        "select table_name from information_schema.tables where table_schema = 'public' order by table_name",
      );
      expect(tables.map((r) => r.table_name)).toEqual(
        expect.arrayContaining(["cluster", "event", "node", "node_lease", "pod", "usage_history", "node_group"]),
      );
    });
  });

  usageSuite(() => db);
  nodeGroupSuite(() => db);
  bootstrapTokenSuite(() => db);
  namespaceSuite(() => db);

  describe("entities", () => {
    it("describe exactly the schema the migrations create (MikroORM sees no drift)", async () => {
      expect(await schemaDrift(db)).toBe("");
    });
  });

  describe("cluster", () => {
    it("is created with defaults on first read, once, even under concurrent first reads", async () => {
      const all = await Promise.all(Array.from({ length: 8 }, () => db.cluster.get()));
      const ids = new Set(all.map((c) => c.id));
      expect(ids.size).toBe(1);
      const c = all[0]!;
      expect(c.algorithm).toBe(DEFAULT_POLICY);
      expect(c.health).toEqual(DEFAULT_HEALTH_CONFIG);
      expect(c.adminTokenHash).toBeNull();
      expect(typeof c.createdAt).toBe("number");
      const count = await rawSql(db).rows("select count(*)::int as c from cluster");
      expect(count[0]!.c).toBe(1);
    });

    it("updates algorithm, health and the admin token hash", async () => {
      const before = await db.cluster.get();
      const health = { ...DEFAULT_HEALTH_CONFIG, suspectAfterMs: 1234 };
      const after = await db.cluster.update({ algorithm: "worst-fit", health, adminTokenHash: "abc" });
      expect(after).toEqual({ ...before, algorithm: "worst-fit", health, adminTokenHash: "abc" });
      expect(await db.cluster.get()).toEqual(after);
      const cleared = await db.cluster.update({ adminTokenHash: null });
      expect(cleared.adminTokenHash).toBeNull();
      expect(cleared.algorithm).toBe("worst-fit");
    });
  });

  describe("nodes", () => {
    it("creates, reads and lists nodes in registration order", async () => {
      const a = await db.nodes.create({
        name: "alpha",
        role: "master",
        runtime: "docker",
        capacity: { cpuMilli: 2000, memoryMiB: 4096 },
        labels: { zone: "a" },
        credentialHash: "h1",
        now: T0,
      });
      expect(a).toMatchObject({
        name: "alpha",
        role: "master",
        runtime: "docker",
        status: "Provisioning",
        statusReason: null,
        statusChangedAt: T0,
        capacity: { cpuMilli: 2000, memoryMiB: 4096 },
        allocated: { cpuMilli: 0, memoryMiB: 0 },
        labels: { zone: "a" },
        podIds: [],
        components: {},
        usage: null,
        lastHeartbeatAt: null,
        containerId: null,
        recoveryAttempts: 0,
        credentialHash: "h1",
        createdAt: T0,
      });
      expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
      const b = await node(1, { name: "beta" });
      const c = await node(1, { name: "gamma", status: "Removed" });
      expect(b.seq).toBeGreaterThan(a.seq);
      expect(c.seq).toBeGreaterThan(b.seq);

      expect(await db.nodes.get(a.id)).toEqual(a);
      expect(await db.nodes.getByName("beta")).toEqual(b);
      expect(await db.nodes.get("00000000-0000-0000-0000-000000000000")).toBeNull();
      expect(await db.nodes.get("not-a-uuid")).toBeNull();
      expect(await db.nodes.getByName("nope")).toBeNull();
      expect((await db.nodes.list()).map((x) => x.name)).toEqual(["alpha", "beta"]);
      expect((await db.nodes.list({ includeRemoved: true })).map((x) => x.name)).toEqual(["alpha", "beta", "gamma"]);
    });

    it("rejects a duplicate name with ConflictError(field 'name')", async () => {
      await node(1, { name: "dup" });
      const err = await node(1, { name: "dup" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as ConflictError).field).toBe("name");
      expect((await db.nodes.list()).length).toBe(1);
    });

    it("transitions status as a compare-and-set", async () => {
      const a = await node(1, { status: "Provisioning" });
      expect(await db.nodes.transition(a.id, "Failed", { from: ["Ready"], now: T0 + 1 })).toBeNull();
      const r = await db.nodes.transition(a.id, "Ready", { from: ["Provisioning", "Recovering"], now: T0 + 5, reason: "registered" });
      expect(r).toMatchObject({ status: "Ready", statusReason: "registered", statusChangedAt: T0 + 5, recoveryAttempts: 0 });
      const f = await db.nodes.transition(a.id, "Recovering", { now: T0 + 9, recoveryAttempts: 2 });
      expect(f).toMatchObject({ status: "Recovering", statusReason: null, statusChangedAt: T0 + 9, recoveryAttempts: 2 });
      expect((await db.nodes.get(a.id))!.status).toBe("Recovering");
      expect(await db.nodes.transition("00000000-0000-0000-0000-000000000000", "Ready", { now: T0 })).toBeNull();
      expect(await db.nodes.transition(a.id, "Ready", { from: [], now: T0 })).toBeNull();
    });

    it("stores what the agent reports and the container id", async () => {
      const a = await node(1);
      await db.pods.confirmAndReport(a.id, [], { podIds: ["p1", "p2"], components: { kubelet: "Healthy" } }, T0);
      await db.pods.confirmAndReport(a.id, [], { components: { kubelet: "Unhealthy" } }, T0);
      await db.nodes.setContainer(a.id, "c0ffee", T0);
      const got = (await db.nodes.get(a.id))!;
      expect(got.podIds).toEqual(["p1", "p2"]);
      expect(got.components).toEqual({ kubelet: "Unhealthy" });
      expect(got.containerId).toBe("c0ffee");
      await db.nodes.setContainer(a.id, null, T0);
      expect((await db.nodes.get(a.id))!.containerId).toBeNull();
    });

    it("flushes heartbeat leases in one batch and exposes lastHeartbeatAt", async () => {
      const a = await node(1);
      const b = await node(1);
      await db.leases.flush([
        { nodeId: a.id, at: T0 + 1000, usage: { cpuMilli: 100, memoryMiB: 10 } },
        { nodeId: b.id, at: T0 + 1500, usage: null },
        { nodeId: a.id, at: T0 + 2000, usage: { cpuMilli: 200, memoryMiB: 20 } }, // later beat in the same batch wins
        { nodeId: "00000000-0000-0000-0000-000000000000", at: T0, usage: null }, // unknown node: ignored
        { nodeId: "garbage", at: T0, usage: null },
      ]);
      let ga = (await db.nodes.get(a.id))!;
      expect(ga.lastHeartbeatAt).toBe(T0 + 2000);
      expect(ga.usage).toEqual({ cpuMilli: 200, memoryMiB: 20 });
      expect((await db.nodes.get(b.id))!.lastHeartbeatAt).toBe(T0 + 1500);
      expect((await db.nodes.get(b.id))!.usage).toBeNull();
      // An older beat arriving late does not move the lease back.
      await db.leases.flush([{ nodeId: a.id, at: T0 + 1200, usage: { cpuMilli: 1, memoryMiB: 1 } }]);
      ga = (await db.nodes.get(a.id))!;
      expect(ga.lastHeartbeatAt).toBe(T0 + 2000);
      await db.leases.flush([{ nodeId: a.id, at: T0 + 3000, usage: null }]);
      expect((await db.nodes.list()).find((x) => x.id === a.id)!.lastHeartbeatAt).toBe(T0 + 3000);
      await db.leases.flush([]);
    });

    it("flushes 2,000 leases in one call", async () => {
      const nodes: NodeRecord[] = [];
      for (let i = 0; i < 200; i++) nodes.push(await node(1));
      const leases = Array.from({ length: 2000 }, (_, i) => ({
        nodeId: nodes[i % nodes.length]!.id,
        at: T0 + i,
        usage: { cpuMilli: i, memoryMiB: 1 },
      }));
      await db.leases.flush(leases);
      const listed = await db.nodes.list();
      expect(listed.every((x) => x.lastHeartbeatAt !== null && x.lastHeartbeatAt >= T0 + 1800)).toBe(true);
    });

    it("hard-deletes a node (and its lease) unless pods are bound to it", async () => {
      const a = await node(2);
      await db.leases.flush([{ nodeId: a.id, at: T0, usage: null }]);
      const p = await pod(500);
      expect(await db.pods.bind(p.id, a.id, T0, "bound")).toBe("bound");
      const err = await db.nodes.delete(a.id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as ConflictError).field).toBe("pods");
      await db.pods.delete(p.id, T0);
      await db.nodes.delete(a.id);
      expect(await db.nodes.get(a.id)).toBeNull();
      const leases = await rawSql(db).rows("select count(*)::int as c from node_lease");
      expect(leases[0]!.c).toBe(0);
    });
  });

  describe("pods", () => {
    it("keeps a pod's statuses as its node reports them, only for that node's own pods", async () => {
      const n = await node(4);
      const other = await node(4);
      const p = await pod(500);
      expect(await db.pods.bind(p.id, n.id, T0, "m")).toBe("bound");
      const status = {
        phase: "Running" as const,
        containerStatuses: [
          { name: "main", image: "busybox", state: { running: { startedAt: "2026-01-01T00:00:00.000Z" } }, lastState: {}, ready: true, started: true, restartCount: 2 },
        ],
        conditions: [],
        podIP: "10.244.0.7",
      };
      // A report from another node is about a pod that is not its own: ignored.
      expect(await db.pods.reportStatuses(other.id, [{ podId: p.id, ...status }], T0 + 1)).toEqual([]);
      const [updated] = await db.pods.reportStatuses(n.id, [{ podId: p.id, ...status }], T0 + 2);
      expect(updated?.podStatus).toEqual(status);
      expect((await db.pods.get(p.id))?.podStatus).toEqual(status);
    });

    it("Terminating keeps the reservation; finishing releases it", async () => {
      const n = await node(4);
      const p = await pod(1500);
      expect(await db.pods.bind(p.id, n.id, T0, "m")).toBe("bound");
      expect((await db.pods.markTerminating(p.id, T0 + 1))?.status).toBe("Terminating");
      // 1500m stays reserved while the node stops the containers.
      expect((await db.nodes.get(n.id))?.allocated.cpuMilli).toBe(1500);
      expect(await db.pods.markTerminating(p.id, T0 + 2)).toBeNull();
      const q = await pod(1000);
      expect(await db.pods.bind(q.id, n.id, T0, "m")).toBe("bound");
      const done = await db.pods.finish(q.id, "Succeeded", "Completed", null, T0 + 3);
      expect(done).toMatchObject({ status: "Succeeded", reason: "Completed", finishedAt: T0 + 3 });
      // 1500 + 1000 - 1000 = 1500 left reserved.
      expect((await db.nodes.get(n.id))?.allocated.cpuMilli).toBe(1500);
      expect(await db.pods.finish(q.id, "Failed", null, null, T0 + 4)).toBeNull();
      await db.pods.delete(p.id, T0 + 5);
      expect((await db.nodes.get(n.id))?.allocated.cpuMilli).toBe(0);
    });

    it("records where a node's kubelet listens", async () => {
      const n = await node(1);
      expect(n.kubelet).toBeNull();
      await db.nodes.setKubelet(n.id, { url: "http://127.0.0.1:10250", token: "secret-secret-secret" }, T0 + 1);
      expect((await db.nodes.get(n.id))?.kubelet).toEqual({ url: "http://127.0.0.1:10250", token: "secret-secret-secret" });
    });

    it("creates pods Pending and lists them FIFO", async () => {
      const a = await db.pods.create({
        name: "web-1",
        namespace: "default",
        request: { cpuMilli: 250, memoryMiB: 64 },
        labels: { app: "web" },
        nodeSelector: { zone: "a" },
        algorithm: "first-fit",
        spec: SPEC,
        now: T0,
      });
      expect(a).toMatchObject({
        name: "web-1",
        namespace: "default",
        status: "Pending",
        nodeId: null,
        nodeName: null,
        request: { cpuMilli: 250, memoryMiB: 64 },
        labels: { app: "web" },
        nodeSelector: { zone: "a" },
        algorithm: "first-fit",
        spec: SPEC,
        podStatus: null,
        reason: null,
        message: null,
        restarts: 0,
        createdAt: T0,
        scheduledAt: null,
        startedAt: null,
        finishedAt: null,
      });
      const b = await pod(100);
      const c = await pod(100);
      expect(b.spec).toBeNull();
      expect(await db.pods.get(a.id)).toEqual(a);
      expect(await db.pods.getByName("default", "web-1")).toEqual(a);
      expect(await db.pods.getByName("other", "web-1")).toBeNull();
      expect(await db.pods.get("nope")).toBeNull();
      expect((await db.pods.listPending()).map((p) => p.id)).toEqual([a.id, b.id, c.id]);
      expect((await db.pods.listPending(2)).map((p) => p.id)).toEqual([a.id, b.id]);
      expect((await db.pods.list()).map((p) => p.id)).toEqual([a.id, b.id, c.id]);
    });

    it("rejects a duplicate pod name with ConflictError", async () => {
      await pod(100, 10, "same");
      const err = await pod(100, 10, "same").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as ConflictError).field).toBe("name");
    });

    it("binds a pending pod to a Ready node with room", async () => {
      const nd = await node(4, { memoryMiB: 1000 });
      const p = await pod(1500, 300);
      expect(await db.pods.bind(p.id, nd.id, T0 + 10, "Scheduled by best-fit")).toBe("bound");
      const got = (await db.pods.get(p.id))!;
      expect(got).toMatchObject({
        status: "Scheduled",
        nodeId: nd.id,
        nodeName: nd.name,
        scheduledAt: T0 + 10,
        message: "Scheduled by best-fit",
        reason: null,
      });
      expect((await db.nodes.get(nd.id))!.allocated).toEqual({ cpuMilli: 1500, memoryMiB: 300 });
      expect((await db.pods.list({ nodeId: nd.id })).map((x) => x.id)).toEqual([p.id]);
      expect((await db.pods.list({ status: ["Scheduled", "Running"] })).map((x) => x.id)).toEqual([p.id]);
      expect(await db.pods.listPending()).toEqual([]);
      // A bound pod is no longer pending: binding it again changes nothing.
      const other = await node(4);
      expect(await db.pods.bind(p.id, other.id, T0, "again")).toBe("pod-not-pending");
      expect((await db.nodes.get(other.id))!.allocated.cpuMilli).toBe(0);
      expect(await db.pods.bind("00000000-0000-0000-0000-000000000000", nd.id, T0, "x")).toBe("pod-not-pending");
    });

    it("creates a pod already bound in one statement when the node has room, else Pending", async () => {
      const nd = await node(2, { memoryMiB: 1000 });
      const input = (name: string, cpuMilli: number) => ({
        name,
        namespace: "default",
        request: { cpuMilli, memoryMiB: 100 },
        labels: {},
        nodeSelector: {},
        algorithm: null,
        now: T0 + 5,
        bindTo: { nodeId: nd.id, message: "best-fit chose it" },
      });
      // 1500m fits in 2000m: created Scheduled on the node, reservation taken.
      const a = await db.pods.create(input(uniq("bound"), 1500));
      expect(a).toMatchObject({ status: "Scheduled", nodeId: nd.id, nodeName: nd.name, scheduledAt: T0 + 5, message: "best-fit chose it" });
      expect((await db.nodes.get(nd.id))!.allocated).toEqual({ cpuMilli: 1500, memoryMiB: 100 });
      // 1500m more does not fit in the 500m left: created Pending, nothing reserved.
      const b = await db.pods.create(input(uniq("pending"), 1500));
      expect(b).toMatchObject({ status: "Pending", nodeId: null, nodeName: null, scheduledAt: null, message: null });
      expect((await db.nodes.get(nd.id))!.allocated).toEqual({ cpuMilli: 1500, memoryMiB: 100 });
      // A duplicate name fails whole: no reservation is left behind.
      await expect(db.pods.create(input(a.name, 100))).rejects.toBeInstanceOf(ConflictError);
      expect((await db.nodes.get(nd.id))!.allocated.cpuMilli).toBe(1500);
      // Not Ready: Pending.
      const down = await node(8, { status: "Failed" });
      const c = await db.pods.create({ ...input(uniq("down"), 100), bindTo: { nodeId: down.id, message: "x" } });
      expect(c.status).toBe("Pending");
      expect((await db.nodes.get(down.id))!.allocated.cpuMilli).toBe(0);
    });

    it("creates many pods in one statement: each node's room taken in order, taken names refused without reserving", async () => {
      const a = await node(2, { memoryMiB: 1000 });
      const down = await node(8, { status: "Failed" });
      const taken = await pod(100, 10);
      const item = (name: string, cpuMilli: number, nodeId?: string) => ({
        name,
        namespace: "default",
        request: { cpuMilli, memoryMiB: 100 },
        labels: { app: name },
        nodeSelector: {},
        algorithm: null,
        now: T0 + 7,
        bindTo: nodeId === undefined ? undefined : { nodeId, message: `chose ${nodeId}` },
      });
      const twin = uniq("twin");
      const firstName = uniq("first");
      const out = await db.pods.createMany([
        item(firstName, 1000, a.id),
        item(twin, 800, a.id),
        { ...item(uniq("spec"), 500, a.id), spec: SPEC },
        item(taken.name, 100, a.id),
        item(twin, 100, a.id),
        item(uniq("unbound"), 100),
        item(uniq("down"), 100, down.id),
      ]);
      const [first, second, third, dup, dupInBatch, unbound, onDown] = out;
      expect(first).toMatchObject({ status: "Scheduled", nodeId: a.id, nodeName: a.name, scheduledAt: T0 + 7, message: `chose ${a.id}`, labels: { app: firstName } });
      expect(second).toMatchObject({ status: "Scheduled", nodeId: a.id, name: twin });
      // 1000m + 800m + 500m is over 2000m: the third waits Pending (the scheduler places it), and keeps its spec.
      expect(third).toMatchObject({ status: "Pending", nodeId: null, scheduledAt: null, message: null, spec: SPEC });
      expect(dup).toBeInstanceOf(ConflictError);
      expect(dupInBatch).toBeInstanceOf(ConflictError);
      expect((dup as ConflictError).message).toBe(`pods "${taken.name}" already exists in namespace "default"`);
      expect(unbound).toMatchObject({ status: "Pending", nodeId: null });
      expect(onDown).toMatchObject({ status: "Pending", nodeId: null });
      // Only the two bound pods hold room; the refused names reserved nothing.
      expect((await db.nodes.get(a.id))!.allocated).toEqual({ cpuMilli: 1800, memoryMiB: 200 });
      expect((await db.nodes.get(down.id))!.allocated.cpuMilli).toBe(0);
      expect((await db.pods.getByName("default", twin))!.request.cpuMilli).toBe(800);
      expect(await db.pods.createMany([])).toEqual([]);
    });

    it("confirms pods and records the node's report in one call", async () => {
      const nd = await node(4);
      const p1 = await pod(500);
      const p2 = await pod(500);
      expect(await db.pods.bind(p1.id, nd.id, T0, "m")).toBe("bound");
      expect(await db.pods.bind(p2.id, nd.id, T0, "m")).toBe("bound");
      const running = await db.pods.confirmAndReport(nd.id, [p1.id], { podIds: [p1.id], components: { kubelet: "Healthy" } }, T0 + 9);
      expect(running.map((p) => [p.id, p.status, p.startedAt])).toEqual([[p1.id, "Running", T0 + 9]]);
      expect(await db.nodes.get(nd.id)).toMatchObject({ podIds: [p1.id], components: { kubelet: "Healthy" } });
      expect((await db.pods.get(p2.id))!.status).toBe("Scheduled");
      // A report alone (nothing to confirm) still lands; confirming alone leaves the report as it was.
      expect(await db.pods.confirmAndReport(nd.id, [], { podIds: [p1.id, p2.id] }, T0 + 10)).toEqual([]);
      expect((await db.nodes.get(nd.id))!.podIds).toEqual([p1.id, p2.id]);
      const second = await db.pods.confirmAndReport(nd.id, [p2.id], {}, T0 + 11);
      expect(second.map((p) => p.id)).toEqual([p2.id]);
      expect(await db.nodes.get(nd.id)).toMatchObject({ podIds: [p1.id, p2.id], components: { kubelet: "Healthy" } });
    });

    it("never overcommits CPU or memory, and the CHECK constraint backs it up", async () => {
      const nd = await node(1, { memoryMiB: 1000 });
      const p1 = await pod(600, 100);
      const p2 = await pod(600, 100);
      const p3 = await pod(100, 950);
      const p4 = await pod(400, 900);
      expect(await db.pods.bind(p1.id, nd.id, T0, "m")).toBe("bound");
      expect(await db.pods.bind(p2.id, nd.id, T0, "m")).toBe("node-unavailable"); // cpu
      expect(await db.pods.bind(p3.id, nd.id, T0, "m")).toBe("node-unavailable"); // memory
      expect(await db.pods.bind(p4.id, nd.id, T0, "m")).toBe("bound"); // exactly full
      expect((await db.nodes.get(nd.id))!.allocated).toEqual({ cpuMilli: 1000, memoryMiB: 1000 });
      for (const p of [p2, p3]) expect((await db.pods.get(p.id))!.status).toBe("Pending");

      const sql = rawSql(db);
      await expect(sql.rows("update node set cpu_allocated = cpu_allocated + 1 where id = ?::uuid", [nd.id])).rejects.toMatchObject({
        code: "23514",
      });
      await expect(sql.rows("update node set memory_allocated = -1 where id = ?::uuid", [nd.id])).rejects.toMatchObject({
        code: "23514",
      });
      expect((await db.nodes.get(nd.id))!.allocated).toEqual({ cpuMilli: 1000, memoryMiB: 1000 });
    });

    it("does not bind onto a node that is not Ready", async () => {
      for (const status of ["Provisioning", "Suspect", "Failed", "Cordoned", "Removed"] as const) {
        const nd = await node(8, { status });
        const p = await pod(100);
        expect(await db.pods.bind(p.id, nd.id, T0, "m")).toBe("node-unavailable");
        expect((await db.pods.get(p.id))!.status).toBe("Pending");
        expect((await db.nodes.get(nd.id))!.allocated.cpuMilli).toBe(0);
      }
      const p = await pod(100);
      expect(await db.pods.bind(p.id, "00000000-0000-0000-0000-000000000000", T0, "m")).toBe("node-unavailable");
    });

    it("50 concurrent binds onto nodes with 20 cores in total bind exactly 20 pods", async () => {
      const nodes = [await node(8), await node(6), await node(4), await node(2)];
      const pods: PodRecord[] = [];
      for (let i = 0; i < 50; i++) pods.push(await pod(1000));
      const results = await Promise.all(pods.map((p, i) => db.pods.bind(p.id, nodes[i % nodes.length]!.id, T0, "m")));
      expect(results.filter((r) => r === "bound").length).toBe(20);
      expect(results.filter((r) => r === "node-unavailable").length).toBe(30);
      await expectConsistent(nodes, 20);
    });

    it("50 concurrent binds of 1-core pods onto one 20-core node bind exactly 20", async () => {
      const nd = await node(20);
      const pods: PodRecord[] = [];
      for (let i = 0; i < 50; i++) pods.push(await pod(1000));
      const results = await Promise.all(pods.map((p) => db.pods.bind(p.id, nd.id, T0, "m")));
      expect(results.filter((r) => r === "bound").length).toBe(20);
      await expectConsistent([nd], 20);
    });

    it("binding the same pod concurrently to many nodes binds it once", async () => {
      const nodes: NodeRecord[] = [];
      for (let i = 0; i < 10; i++) nodes.push(await node(4));
      const p = await pod(1000);
      const results = await Promise.all(nodes.map((nd) => db.pods.bind(p.id, nd.id, T0, "m")));
      expect(results.filter((r) => r === "bound").length).toBe(1);
      expect(results.filter((r) => r === "pod-not-pending").length).toBe(9);
      await expectConsistent(nodes, 1);
    });

    it("deleting a pod while it is being bound releases exactly what was reserved", async () => {
      // Regression: a release computed from a stale row version tripped the CHECK constraint.
      const nd = await node(4);
      for (let i = 0; i < 30; i++) {
        const p = await pod(1000);
        const [bound, deleted] = await Promise.all([db.pods.bind(p.id, nd.id, T0, "m"), db.pods.delete(p.id, T0)]);
        expect(["bound", "pod-not-pending"]).toContain(bound);
        expect(deleted?.id).toBe(p.id);
        expect((await db.nodes.get(nd.id))!.allocated).toEqual({ cpuMilli: 0, memoryMiB: 0 });
      }
    });

    it("evicts a failed node's pods back to Pending and frees its allocation", async () => {
      const nd = await node(8);
      const keep = await node(8);
      const [s, r, t, other] = [await pod(1000, 100), await pod(2000, 200), await pod(500, 50), await pod(700, 70)];
      for (const p of [s, r, t]) expect(await db.pods.bind(p.id, nd.id, T0, "m")).toBe("bound");
      expect(await db.pods.bind(other.id, keep.id, T0, "m")).toBe("bound");
      await db.pods.confirmAndReport(nd.id, [r.id], {}, T0 + 1);
      await markTerminating(t.id);
      expect((await db.nodes.get(nd.id))!.allocated).toEqual({ cpuMilli: 3500, memoryMiB: 350 });

      await db.nodes.transition(nd.id, "Failed", { now: T0 + 3 });
      const moved = await db.pods.evictFromNode(nd.id, "NodeFailed", `node ${nd.name} failed`, T0 + 4);
      expect(moved.map((p) => p.id)).toEqual([s.id, r.id]);
      for (const p of moved) {
        expect(p).toMatchObject({
          status: "Pending",
          nodeId: null,
          nodeName: null,
          restarts: 1,
          reason: "NodeFailed",
          message: `node ${nd.name} failed`,
          scheduledAt: null,
          startedAt: null,
        });
      }
      expect(await db.pods.get(t.id)).toBeNull();
      expect((await db.nodes.get(nd.id))!.allocated).toEqual({ cpuMilli: 0, memoryMiB: 0 });
      expect((await db.nodes.get(keep.id))!.allocated).toEqual({ cpuMilli: 700, memoryMiB: 70 });
      expect((await db.pods.get(other.id))!.status).toBe("Scheduled");
      expect((await db.pods.listPending()).map((p) => p.id)).toEqual([s.id, r.id]);
      expect(await db.pods.evictFromNode(nd.id, "again", "again", T0)).toEqual([]);
    });

    it("confirms only the node's own Scheduled pods as Running (nothing reported)", async () => {
      const nd = await node(8);
      const other = await node(8);
      const [a, b, c, pending] = [await pod(100), await pod(100), await pod(100), await pod(100)];
      await db.pods.bind(a.id, nd.id, T0, "m");
      await db.pods.bind(b.id, nd.id, T0, "m");
      await db.pods.bind(c.id, other.id, T0, "m");
      const running = await db.pods.confirmAndReport(nd.id, [a.id, c.id, pending.id, "junk"], {}, T0 + 50);
      expect(running.map((p) => p.id)).toEqual([a.id]);
      expect(running[0]).toMatchObject({ status: "Running", startedAt: T0 + 50, nodeName: nd.name });
      expect(await db.pods.confirmAndReport(nd.id, [a.id], {}, T0 + 60)).toEqual([]); // already Running
      expect((await db.pods.get(b.id))!.status).toBe("Scheduled");
      expect((await db.pods.get(c.id))!.status).toBe("Scheduled");
      expect((await db.pods.list({ nodeId: nd.id })).map((p) => [p.id, p.status])).toEqual([
        [a.id, "Running"],
        [b.id, "Scheduled"],
      ]);
      expect(await db.pods.confirmAndReport(nd.id, [], {}, T0)).toEqual([]);
    });

    it("deletes a pod and releases its reservation", async () => {
      const nd = await node(2, { memoryMiB: 500 });
      const a = await pod(1500, 400);
      const b = await pod(1000, 200);
      await db.pods.bind(a.id, nd.id, T0, "m");
      expect(await db.pods.bind(b.id, nd.id, T0, "m")).toBe("node-unavailable");
      const deleted = await db.pods.delete(a.id, T0);
      expect(deleted).toMatchObject({ id: a.id, status: "Scheduled", nodeId: nd.id, nodeName: nd.name });
      expect((await db.nodes.get(nd.id))!.allocated).toEqual({ cpuMilli: 0, memoryMiB: 0 });
      expect(await db.pods.bind(b.id, nd.id, T0, "m")).toBe("bound");
      expect(await db.pods.delete(a.id, T0)).toBeNull();
      const pending = await pod(100);
      expect((await db.pods.delete(pending.id, T0))!.id).toBe(pending.id);
      expect((await db.nodes.get(nd.id))!.allocated).toEqual({ cpuMilli: 1000, memoryMiB: 200 });
    });

    it("sets a pod's reason and message", async () => {
      const p = await pod(100);
      await db.pods.setReason(p.id, "FailedScheduling", "Insufficient cpu", T0);
      expect(await db.pods.get(p.id)).toMatchObject({ reason: "FailedScheduling", message: "Insufficient cpu" });
      await db.pods.setReason(p.id, null, null, T0);
      expect(await db.pods.get(p.id)).toMatchObject({ reason: null, message: null });
    });

    it("keeps messages with semicolons, quotes and question marks intact", async () => {
      const nd = await node(2);
      const p = await pod(100, 10, "semi");
      const msg = "placed; 'quoted' \"double\" ? $1 -- not a comment";
      expect(await db.pods.bind(p.id, nd.id, T0, msg)).toBe("bound");
      expect((await db.pods.get(p.id))!.message).toBe(msg);
      const [e] = await db.events.add([{ time: T0, type: "Normal", reason: "R", objectKind: "Pod", objectId: p.id, objectName: "semi", message: msg }]);
      expect(e!.id).toBeGreaterThan(0);
      expect((await db.events.list({ objectId: p.id }))[0]).toEqual(e);
      const [odd] = await db.events.add([{ ...e!, objectId: "x;y'z?", message: "a;b" }]);
      expect(await db.events.list({ objectId: "x;y'z?" })).toEqual([odd]);
      await db.pods.setReason(p.id, "r;1", "m;2", T0);
      expect(await db.pods.get(p.id)).toMatchObject({ reason: "r;1", message: "m;2" });
    });
  });

  describe("one clock", () => {
    it("stamps every write with the caller's now, never the database's or the process's clock", async () => {
      const updatedAt = async (table: "node" | "pod", id: string) =>
        Number((await rawSql(db).rows(`select extract(epoch from updated_at) * 1000 as t from ${table} where id = ?::uuid`, [id]))[0]!.t);
      const nd = await node(4);
      await db.nodes.setContainer(nd.id, "c1", T0 + 1);
      expect(await updatedAt("node", nd.id)).toBe(T0 + 1);
      await db.nodes.setCredential(nd.id, "fresh", T0 + 2);
      expect(await updatedAt("node", nd.id)).toBe(T0 + 2);
      expect((await db.nodes.get(nd.id))!.credentialHash).toBe("fresh");
      const p = await pod(100);
      await db.pods.bind(p.id, nd.id, T0 + 3, "m");
      await db.pods.confirmAndReport(nd.id, [p.id], { podIds: [p.id] }, T0 + 4);
      expect([await updatedAt("pod", p.id), await updatedAt("node", nd.id)]).toEqual([T0 + 4, T0 + 4]);
      await db.pods.setReason(p.id, "r", "m", T0 + 5);
      expect(await updatedAt("pod", p.id)).toBe(T0 + 5);
      await db.pods.delete(p.id, T0 + 6);
      expect(await updatedAt("node", nd.id)).toBe(T0 + 6);
    });
  });

  describe("mixed concurrency", () => {
    it("random concurrent binds, bound creates, deletes and evictions keep allocation equal to reservations", async () => {
      let seed = 42;
      const rand = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % n;
      };
      const nodes: NodeRecord[] = [];
      for (let i = 0; i < 5; i++) nodes.push(await node(4, { memoryMiB: 4000 }));
      const pods: PodRecord[] = [];
      for (let i = 0; i < 80; i++) pods.push(await pod(500 + rand(4) * 250, 100 + rand(5) * 100));
      const deleted = new Set<string>();
      for (let round = 0; round < 6; round++) {
        const ops: Array<Promise<unknown>> = [];
        for (let k = 0; k < 60; k++) {
          const p = pods[rand(pods.length)]!;
          const nd = nodes[rand(nodes.length)]!;
          const op = rand(10);
          if (op < 5) ops.push(db.pods.bind(p.id, nd.id, T0, "m"));
          else if (op === 5) ops.push(db.pods.confirmAndReport(nd.id, [p.id], {}, T0));
          else if (op === 6) ops.push(markTerminating(p.id));
          else if (op === 7) ops.push(pod(250, 100, uniq("bound"), nd.id).then((c) => pods.push(c)));
          else if (op === 8)
            ops.push(db.pods.delete(p.id, T0).then((d) => d && deleted.add(d.id)));
          else
            ops.push(
              db.nodes
                .transition(nd.id, "Failed", { from: ["Ready"], now: T0 })
                .then(() => db.pods.evictFromNode(nd.id, "NodeFailed", "x", T0))
                .then(() => db.nodes.transition(nd.id, "Ready", { from: ["Failed"], now: T0 })),
            );
        }
        await Promise.all(ops);
      }
      const left = await db.pods.list();
      const survivors = pods.filter((p) => !deleted.has(p.id));
      // Terminating pods are also deleted by evictions, so only "at most" can be said of the rest.
      expect(left.length).toBeLessThanOrEqual(survivors.length);
      for (const p of survivors) {
        const now = left.find((x) => x.id === p.id);
        if (!now) continue;
        if (now.status === "Pending") expect(now.nodeId).toBeNull();
        if (now.status === "Scheduled" || now.status === "Running") expect(now.nodeId).not.toBeNull();
      }
      for (const nd of nodes) {
        const fresh = (await db.nodes.get(nd.id))!;
        const holding = left.filter((p) => p.nodeId === nd.id && ["Scheduled", "Running", "Terminating"].includes(p.status));
        expect(fresh.allocated.cpuMilli).toBe(holding.reduce((s, p) => s + p.request.cpuMilli, 0));
        expect(fresh.allocated.memoryMiB).toBe(holding.reduce((s, p) => s + p.request.memoryMiB, 0));
      }
    });
  });

  describe("events", () => {
    it("adds, lists (newest last, afterId, objectId) and prunes", async () => {
      const added: EventRecord[] = [];
      for (let i = 0; i < 5; i++) {
        const [e] = await db.events.add([
          {
            time: T0 + i,
            type: i % 2 ? "Warning" : "Normal",
            reason: `R${i}`,
            objectKind: i === 4 ? "Cluster" : "Node",
            objectId: i === 4 ? null : `obj-${i % 2}`,
            objectName: `name-${i}`,
            message: `m${i}`,
          },
        ]);
        added.push(e!);
      }
      const ids = added.map((e) => e.id);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      expect(typeof ids[0]).toBe("number");
      expect(await db.events.list()).toEqual(added);
      expect(await db.events.list({ limit: 2 })).toEqual(added.slice(3));
      expect(await db.events.list({ afterId: ids[1] })).toEqual(added.slice(2));
      expect(await db.events.list({ afterId: ids[1], limit: 2 })).toEqual(added.slice(2, 4));
      expect(await db.events.list({ afterId: ids[4] })).toEqual([]);
      expect(await db.events.list({ objectId: "obj-1" })).toEqual([added[1], added[3]]);
      expect(added[4]).toMatchObject({ objectKind: "Cluster", objectId: null, time: T0 + 4 });
      await db.events.prune(2);
      expect(await db.events.list()).toEqual(added.slice(3));
      await db.events.prune(10);
      expect((await db.events.list()).length).toBe(2);
      await db.events.prune(0);
      expect(await db.events.list()).toEqual([]);
    });
  });

  describe("event batches", () => {
    it("adds many events in one call with ids in the given order", async () => {
      const batch = Array.from({ length: 25 }, (_, i) => ({
        time: T0 + i,
        type: (i % 2 ? "Warning" : "Normal") as "Normal" | "Warning",
        reason: `R${i}`,
        objectKind: "Pod" as const,
        objectId: i % 5 === 0 ? null : `obj-${i}`,
        objectName: `name;${i}'`,
        message: `message ${i}; with 'quotes' and ?`,
      }));
      const added = await db.events.add(batch);
      // ids strictly increase in the order given, so watchers see the batch in order.
      expect(added.map((e) => e.reason)).toEqual(batch.map((e) => e.reason));
      for (let i = 1; i < added.length; i++) expect(added[i]!.id).toBeGreaterThan(added[i - 1]!.id);
      const listed = await db.events.list({ afterId: added[0]!.id - 1, limit: 100 });
      expect(listed).toEqual(added);
      expect(await db.events.add([])).toEqual([]);
    });
  });

  describe("leadership", () => {
    it("lets exactly one handle lead; releasing hands it over", async () => {
      expect(await db.tryAcquireLeadership()).toBe(true);
      expect(await db.tryAcquireLeadership()).toBe(true); // re-confirming keeps it
      if (!backend.multiProcess) {
        await db.releaseLeadership();
        return;
      }
      const other = await backend.open();
      try {
        expect(await other.tryAcquireLeadership()).toBe(false);
        await db.releaseLeadership();
        expect(await other.tryAcquireLeadership()).toBe(true);
        expect(await db.tryAcquireLeadership()).toBe(false);
        // Closing the leader frees the lease too.
        await other.close();
        expect(await db.tryAcquireLeadership()).toBe(true);
        await db.releaseLeadership();
      } finally {
        await other.close();
      }
    });

    (backend.multiProcess ? it : () => undefined)("two processes race for leadership: one wins", async () => {
      const handles = await Promise.all([backend.open(), backend.open(), backend.open()]);
      try {
        const won = await Promise.all(handles.map((h) => h.tryAcquireLeadership()));
        expect(won.filter(Boolean).length).toBe(1);
      } finally {
        await Promise.all(handles.map((h) => h.close()));
      }
    });
  });

  // PGlite is one process by design, so this block exists only where several processes can share the database.
  (backend.multiProcess ? describe : () => undefined)("two API processes", () => {
    it("racing binds through two handles never overcommit", async () => {
      const second = await backend.open({ poolSize: 16 });
      try {
        const nodes = [await node(8), await node(6), await node(4), await node(2)];
        const pods: PodRecord[] = [];
        for (let i = 0; i < 50; i++) pods.push(await pod(1000));
        // Both processes try every pod, each on its own node choice, like two schedulers would.
        const results = await Promise.all([
          ...pods.map((p, i) => db.pods.bind(p.id, nodes[i % 4]!.id, T0, "a")),
          ...pods.map((p, i) => second.pods.bind(p.id, nodes[(i + 1) % 4]!.id, T0, "b")),
        ]);
        expect(results.filter((r) => r === "bound").length).toBe(20);
        await expectConsistent(nodes, 20);
      } finally {
        await second.close();
      }
    });
    it("racing batch creates and binds through two handles never overcommit or deadlock", async () => {
      const second = await backend.open({ poolSize: 16 });
      try {
        const nodes = [await node(8), await node(6), await node(4), await node(2)];
        // Each batch names its nodes in a different order: the statement must lock them in one order.
        const batch = (h: Database, b: number) =>
          h.pods.createMany(
            Array.from({ length: 10 }, (_, i) => ({
              name: uniq(`batch${b}`),
              namespace: "default",
              request: { cpuMilli: 1000, memoryMiB: 100 },
              labels: {},
              nodeSelector: {},
              algorithm: null,
              now: T0,
              bindTo: { nodeId: nodes[(i * (b + 1)) % 4]!.id, message: "m" },
            })),
          );
        const made = (await Promise.all(Array.from({ length: 8 }, (_, b) => batch(b % 2 ? second : db, b)))).flat();
        expect(made.every((p) => !(p instanceof ConflictError))).toBe(true);
        // Then both processes race to place what waits, every pod onto every node.
        const waiting = (await db.pods.list({ status: ["Pending"] })).map((p) => p.id);
        await Promise.all(waiting.flatMap((id, i) => nodes.map((nd, k) => ((i + k) % 2 ? second : db).pods.bind(id, nd.id, T0, "m"))));
        await expectConsistent(nodes, 20);
      } finally {
        await second.close();
      }
    });
  });

  /** Allocation equals the sum of bound pods' requests, never above capacity, and no pod is lost. */
  async function expectConsistent(nodes: NodeRecord[], boundCount: number): Promise<void> {
    const pods = await db.pods.list();
    const bound = pods.filter((p) => p.nodeId !== null);
    expect(bound.length).toBe(boundCount);
    for (const nd of nodes) {
      const fresh = (await db.nodes.get(nd.id))!;
      const mine = bound.filter((p) => p.nodeId === nd.id);
      expect(fresh.allocated.cpuMilli).toBe(mine.reduce((s, p) => s + p.request.cpuMilli, 0));
      expect(fresh.allocated.memoryMiB).toBe(mine.reduce((s, p) => s + p.request.memoryMiB, 0));
      expect(fresh.allocated.cpuMilli).toBeLessThanOrEqual(fresh.capacity.cpuMilli);
      for (const p of mine) expect(p.status).toBe("Scheduled");
    }
    for (const p of pods.filter((x) => x.nodeId === null)) expect(p.status).toBe("Pending");
  }
}
