// Quick throughput measurement (not a test): pods launched per second against 1,000 nodes.
//   KUBE9_TEST_PG_URL=postgres://postgres@127.0.0.1:55432/postgres npx tsx bench/bind-rate.ts
// Without the URL it measures embedded PGlite (in-memory).
import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase } from "../src/index.js";
import type { CreatePodInput, Database, NodeRecord } from "../src/index.js";

const adminUrl = process.env.KUBE9_TEST_PG_URL;
const NODES = Number(process.env.NODES ?? 1000);
const PODS = Number(process.env.PODS ?? 4000);

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(sql);
  await c.end();
}

async function timed(label: string, count: number, fn: () => Promise<void>): Promise<void> {
  const t = performance.now();
  await fn();
  const s = (performance.now() - t) / 1000;
  console.log(`${label.padEnd(48)} ${count} in ${s.toFixed(2)} s = ${Math.round(count / s)}/s`);
}

async function pool(concurrency: number, count: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

/** A bench pod: the smallest request, so 1,000 nodes hold every pod of every run. */
function podInput(name: string, now: number): CreatePodInput {
  return { name, request: { cpuMilli: 100, memoryMiB: 64 }, labels: {}, nodeSelector: {}, algorithm: null, now };
}

async function run(db: Database): Promise<void> {
  const now = Date.now();
  const nodes: NodeRecord[] = [];
  await timed("nodes.create", NODES, () =>
    pool(16, NODES, async (i) => {
      nodes.push(
        await db.nodes.create({
          name: `n-${i}`,
          role: "worker",
          runtime: "hollow",
          capacity: { cpuMilli: 64_000, memoryMiB: 256 * 1024 },
          labels: {},
          credentialHash: "x",
          status: "Ready",
          now,
        }),
      );
    }),
  );
  const leases = nodes.map((n) => ({ nodeId: n.id, at: now, usage: { cpuMilli: 1, memoryMiB: 1 } }));
  await timed("leases.flush (one batch of all nodes)", NODES, () => db.leases.flush(leases));
  await timed("leases.flush again (update path)", NODES, () => db.leases.flush(leases.map((l) => ({ ...l, at: l.at + 1 }))));
  await timed("nodes.list", NODES, async () => void (await db.nodes.list()));

  for (const concurrency of [1, 16]) {
    const tag = `c${concurrency}`;
    const ids: string[] = [];
    await timed(`pods.create (concurrency ${concurrency})`, PODS, () =>
      pool(concurrency, PODS, async (i) => void ids.push((await db.pods.create(podInput(`${tag}-p-${i}`, now))).id)),
    );
    await timed(`pods.bind (concurrency ${concurrency})`, PODS, () =>
      pool(concurrency, PODS, async (i) => {
        const r = await db.pods.bind(ids[i]!, nodes[i % nodes.length]!.id, now, "bench");
        if (r !== "bound") throw new Error(r);
      }),
    );
    await timed(`launch = create+bind+events.add (conc. ${concurrency})`, PODS, () =>
      pool(concurrency, PODS, async (i) => {
        const p = await db.pods.create(podInput(`${tag}-l-${i}`, now));
        const n = nodes[i % nodes.length]!;
        if ((await db.pods.bind(p.id, n.id, now, "bench")) !== "bound") throw new Error("not bound");
        await db.events.add([
          { time: now, type: "Normal", reason: "Scheduled", objectKind: "Pod", objectId: p.id, objectName: p.name, message: `to ${n.name}` },
        ]);
      }),
    );
    await timed(`pods.confirmAndReport per node (conc. ${concurrency})`, NODES, () =>
      pool(concurrency, NODES, async (i) => {
        const n = nodes[i]!;
        const scheduled = await db.pods.list({ nodeId: n.id, status: ["Scheduled"] });
        await db.pods.confirmAndReport(n.id, scheduled.map((p) => p.id), {}, now);
      }),
    );
  }
  await timed("pods.list (all)", 1, async () => console.log(`  (${(await db.pods.list()).length} pods)`));
  await timed("pods.evictFromNode (100 nodes)", 100, () =>
    pool(4, 100, async (i) => void (await db.pods.evictFromNode(nodes[i]!.id, "NodeFailed", "bench", now))),
  );
}

async function main(): Promise<void> {
  if (adminUrl) {
    const name = `kube9_bench_${randomBytes(4).toString("hex")}`;
    await admin(`create database "${name}"`);
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    const db = await openDatabase({ url: u.toString(), poolSize: 20 });
    console.log(`PostgreSQL (${name}), pool 20, ${NODES} nodes, ${PODS} pods per run`);
    try {
      await run(db);
    } finally {
      await db.close();
      await admin(`drop database if exists "${name}" with (force)`);
    }
  } else {
    const db = await openDatabase({});
    console.log(`PGlite in memory, ${NODES} nodes, ${PODS} pods per run`);
    try {
      await run(db);
    } finally {
      await db.close();
    }
  }
}

await main();
