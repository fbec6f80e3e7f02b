// Quick throughput measurement (not a test): pods launched per second against 1,000 nodes.
//   KUBE9_TEST_PG_URL=postgres://postgres@127.0.0.1:55432/postgres npx tsx bench/bind-rate.ts
// Without the URL it measures embedded PGlite (in-memory).
import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase } from "../src/index.js";
import type { Database, NodeRecord } from "../src/index.js";

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

async function run(db: Database): Promise<void> {
  const s = db.store;
  const now = Date.now();
  const nodes: NodeRecord[] = [];
  await timed("createNode", NODES, () =>
    pool(16, NODES, async (i) => {
      nodes.push(
        await s.createNode({
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
  await timed("flushLeases (one batch of all nodes)", NODES, () => s.flushLeases(leases));
  await timed("flushLeases again (update path)", NODES, () => s.flushLeases(leases.map((l) => ({ ...l, at: l.at + 1 }))));
  await timed("listNodes", NODES, async () => void (await s.listNodes()));

  for (const concurrency of [1, 16]) {
    const tag = `c${concurrency}`;
    const ids: string[] = [];
    await timed(`createPod (concurrency ${concurrency})`, PODS, () =>
      pool(concurrency, PODS, async (i) => {
        const p = await s.createPod({
          name: `${tag}-p-${i}`,
          request: { cpuMilli: 100, memoryMiB: 64 },
          labels: {},
          nodeSelector: {},
          algorithm: null,
          now,
        });
        ids.push(p.id);
      }),
    );
    await timed(`bindPod (concurrency ${concurrency})`, PODS, () =>
      pool(concurrency, PODS, async (i) => {
        const r = await s.bindPod(ids[i]!, nodes[i % nodes.length]!.id, now, "bench");
        if (r !== "bound") throw new Error(r);
      }),
    );
    await timed(`launch = createPod+bindPod+addEvent (conc. ${concurrency})`, PODS, () =>
      pool(concurrency, PODS, async (i) => {
        const p = await s.createPod({
          name: `${tag}-l-${i}`,
          request: { cpuMilli: 100, memoryMiB: 64 },
          labels: {},
          nodeSelector: {},
          algorithm: null,
          now,
        });
        const n = nodes[i % nodes.length]!;
        if ((await s.bindPod(p.id, n.id, now, "bench")) !== "bound") throw new Error("not bound");
        await s.addEvent({ time: now, type: "Normal", reason: "Scheduled", objectKind: "Pod", objectId: p.id, objectName: p.name, message: `to ${n.name}` });
      }),
    );
    await timed(`confirmPodsRunning per node (conc. ${concurrency})`, NODES, () =>
      pool(concurrency, NODES, async (i) => {
        const n = nodes[i]!;
        await s.confirmPodsRunning(n.id, await s.desiredPodIds(n.id), now);
      }),
    );
  }
  await timed("listPods (all)", 1, async () => console.log(`  (${(await s.listPods()).length} pods)`));
  await timed("evictNodePods (100 nodes)", 100, () =>
    pool(4, 100, async (i) => void (await s.evictNodePods(nodes[i]!.id, "NodeFailed", "bench", now))),
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
