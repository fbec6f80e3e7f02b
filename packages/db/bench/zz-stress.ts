import { openDatabase } from "../src/index.js";
import { rawSql } from "../src/testing.js";
const db = await openDatabase({ url: "postgres://postgres@127.0.0.1:55432/kube9_stress", poolSize: 16 });
const s = db.store;
const T0 = 1;
const allowed = (process.env.OPS ?? "bind,confirm,term,finish,delete,evict").split(",");
let seed = Number(process.env.SEED ?? 42);
const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
let failures = 0;
for (let iter = 0; iter < 20; iter++) {
  await rawSql(db).rows("truncate table event, pod, node_lease, node, cluster");
  const nodes = [];
  for (let i = 0; i < 5; i++) nodes.push(await s.createNode({ name: `n${i}`, role: "worker", runtime: "hollow", capacity: { cpuMilli: 4000, memoryMiB: 4000 }, labels: {}, credentialHash: "x", status: "Ready", now: T0 }));
  const pods = [];
  for (let i = 0; i < 80; i++) pods.push(await s.createPod({ name: `p${i}`, request: { cpuMilli: 500 + rand(4) * 250, memoryMiB: 100 + rand(5) * 100 }, labels: {}, nodeSelector: {}, algorithm: null, now: T0 }));
  for (let round = 0; round < 6; round++) {
    const ops: Promise<unknown>[] = [];
    const kinds: Record<string, number> = {};
    for (let k = 0; k < 60; k++) {
      const p = pods[rand(pods.length)]!;
      const nd = nodes[rand(nodes.length)]!;
      const op = rand(10);
      const kind = op < 5 ? "bind" : op === 5 ? "confirm" : op === 6 ? "term" : op === 7 ? "finish" : op === 8 ? "delete" : "evict";
      if (!allowed.includes(kind)) continue;
      kinds[kind] = (kinds[kind] ?? 0) + 1;
      const wrap = (pr: Promise<unknown>) => pr.catch((e) => { failures++; console.log("ERR", kind, (e as Error).message); });
      if (kind === "bind") ops.push(wrap(s.bindPod(p.id, nd.id, T0, "m")));
      else if (kind === "confirm") ops.push(wrap(s.confirmPodsRunning(nd.id, [p.id], T0)));
      else if (kind === "term") ops.push(wrap(s.markPodTerminating(p.id, T0)));
      else if (kind === "finish") ops.push(wrap(s.finishPod(p.id, "Succeeded", null, null, T0)));
      else if (kind === "delete") ops.push(wrap(s.deletePod(p.id)));
      else ops.push(wrap(s.transitionNode(nd.id, "Failed", { from: ["Ready"], now: T0 }).then(() => s.evictNodePods(nd.id, "NodeFailed", "x", T0)).then(() => s.transitionNode(nd.id, "Ready", { from: ["Failed"], now: T0 }))));
    }
    await Promise.all(ops);
    const bad = await rawSql(db).rows(`select n.name, n.cpu_allocated, coalesce(sum(p.cpu_request) filter (where p.status in ('Scheduled','Running','Terminating')), 0)::int as held
      from node n left join pod p on p.node_id = n.id group by n.id having n.cpu_allocated <> coalesce(sum(p.cpu_request) filter (where p.status in ('Scheduled','Running','Terminating')), 0)`);
    if (bad.length) { console.log("iter", iter, "round", round, JSON.stringify(kinds), "MISMATCH", JSON.stringify(bad)); failures++; }
  }
}
console.log("failures", failures);
await db.close();
