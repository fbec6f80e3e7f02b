import { openDatabase } from "../src/index.js";
import { rawSql } from "../src/testing.js";
const db = await openDatabase({ url: "postgres://postgres@127.0.0.1:55432/kube9_stress", poolSize: 4 });
const s = db.store;
await rawSql(db).rows("truncate table event, pod, node_lease, node, cluster");
const n = await s.createNode({ name: `n`, role: "worker", runtime: "hollow", capacity: { cpuMilli: 4000, memoryMiB: 4000 }, labels: {}, credentialHash: "x", status: "Ready", now: 1 });
let errs = 0;
for (let i = 0; i < 300; i++) {
  const p = await s.createPod({ name: `p${i}`, request: { cpuMilli: 1000, memoryMiB: 100 }, labels: {}, nodeSelector: {}, algorithm: null, now: 1 });
  const r = await Promise.allSettled([s.bindPod(p.id, n.id, 1, "m"), s.deletePod(p.id)]);
  const alloc = (await s.getNode(n.id))!.allocated.cpuMilli;
  if (r.some((x) => x.status === "rejected") || alloc !== 0) {
    errs++;
    if (errs < 5) console.log(i, r.map((x) => x.status === "fulfilled" ? JSON.stringify(x.value && (typeof x.value === "string" ? x.value : { st: (x.value as any).status, node: (x.value as any).nodeId })) : (x.reason as Error).message), "alloc", alloc);
    await rawSql(db).rows("update node set cpu_allocated = 0, memory_allocated = 0");
  }
}
console.log("errs", errs);
await db.close();
