import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKube9Client, type Kube9Client } from "@kube9/client";
import { HollowFleet } from "@kube9/node-agent";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane, type RunningControlPlane } from "../src/server.js";
import { freshPostgres, waitFor } from "./harness.js";

// A `kube9 hollow` fleet against a real API over HTTP: nodes joined with the admin token, each
// speaking with its own credential; pods run on them with container states; stop() makes them leave.

const NODES = 200;

describe(`hollow fleet over HTTP (${process.env.KUBE9_TEST_PG_URL ? "PostgreSQL" : "PGlite"})`, () => {
  let home: string;
  let api: RunningControlPlane;
  let admin: Kube9Client;
  let pg: { url: string; drop(): Promise<void> } | undefined;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "kube9-fleet-"));
    if (process.env.KUBE9_TEST_PG_URL) pg = await freshPostgres(process.env.KUBE9_TEST_PG_URL);
    api = await startControlPlane({ port: 0, home, runtime: "process", logLevel: "error", log: () => {}, ...(pg ? { databaseUrl: pg.url } : {}) });
    admin = createKube9Client({ url: api.url, token: api.token });
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await pg?.drop();
    rmSync(home, { recursive: true, force: true });
  });

  const statuses = async (prefix: string) => {
    const nodes = (await admin.nodes.list.query()).filter((n) => n.name.startsWith(`${prefix}-`));
    const count: Record<string, number> = {};
    for (const n of nodes) count[n.status] = (count[n.status] ?? 0) + 1;
    return count;
  };

  it(`${NODES} nodes in one process: all Ready, pods Running with container states, crash loops reported, and Ctrl-C makes them leave`, async () => {
    const fleet = new HollowFleet({ url: api.url, adminToken: api.token, nodes: NODES, cpu: 2, memoryMiB: 2048, namePrefix: "fleet", connections: 16 });
    await fleet.start();
    await waitFor(async () => (await statuses("fleet")).Ready === NODES, 30_000);
    const node = (await admin.nodes.list.query()).find((n) => n.name === "fleet-7")!;
    // The API neither starts nor kills such agents: fault injection and recovery are the fleet's business.
    expect(node.runtime).toBe("external");
    await expect(admin.nodes.fail.mutate({ name: "fleet-7" })).rejects.toThrow(/no running agent/);

    for (let i = 0; i < 20; i++) await admin.pods.launch.mutate({ name: `web-${i}`, image: "busybox", command: ["sleep", "3600"], cpu: 0.1, memoryMiB: 32 });
    await admin.pods.launch.mutate({ name: "crasher", image: "busybox", command: ["false"], cpu: 0.1, memoryMiB: 32 });
    await waitFor(async () => {
      const pods = await admin.pods.list.query();
      return pods.filter((p) => p.name.startsWith("web-") && p.status === "Running" && p.phase === "Running").length === 20;
    }, 20_000);
    const web = await admin.pods.get.query({ name: "web-3" });
    expect(web.pod.nodeName).toMatch(/^fleet-\d+$/);
    expect(web.pod.containerStatuses[0]?.state).toHaveProperty("running");
    // A container that exits at once crash-loops, restarts counted as a kubelet counts them.
    await waitFor(async () => ((await admin.pods.get.query({ name: "crasher" })).pod.containerStatuses[0]?.restartCount ?? 0) >= 1, 10_000);
    const crasher = (await admin.pods.get.query({ name: "crasher" })).pod.containerStatuses[0]!;
    expect(crasher.state).toMatchObject({ waiting: { reason: "CrashLoopBackOff" } });
    expect(crasher.lastState).toMatchObject({ terminated: { exitCode: 1, reason: "Error" } });

    const stats = fleet.stats();
    expect(stats.registered).toBe(NODES);
    expect(stats.beatsOk).toBeGreaterThan(NODES);
    await fleet.stop();
    // Every node said goodbye: Failed with NodeLeft, its pods back in the queue (no node is left to take them).
    expect(await statuses("fleet")).toEqual({ Failed: NODES });
    expect((await admin.nodes.get.query({ name: "fleet-7" })).node.reason).toMatch(/agent left: hollow fleet stopped/);
    expect((await admin.pods.get.query({ name: "web-3" })).pod.status).toBe("Pending");
    // Nothing restarts an external agent: a heartbeat period later the nodes are still Failed, not Recovering.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await statuses("fleet")).toEqual({ Failed: NODES });

    // The fleet restarted: the same names get fresh credentials and come back Ready.
    const again = new HollowFleet({ url: api.url, adminToken: api.token, nodes: 10, cpu: 2, namePrefix: "fleet", batch: false });
    await again.start();
    await waitFor(async () => (await statuses("fleet")).Ready === 10, 15_000);
    await again.stop();
  }, 90_000);

  it("join takes 1,000 new names in one call, and refuses a bad one before creating any", async () => {
    const join = (nodes: unknown[]) =>
      fetch(`${api.url}/trpc/nodes.join`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${api.token}` },
        body: JSON.stringify({ nodes }),
      }).then(async (r) => ({ status: r.status, body: await r.text() }));
    const many = await join(Array.from({ length: 1000 }, (_, i) => ({ name: `bulk-${i}`, cpu: 1 })));
    expect(many.status).toBe(200);
    const joined = (JSON.parse(many.body) as { result: { data: { nodes: Array<{ name: string; nodeId: string; token: string; created: boolean }> } } }).result.data.nodes;
    // In the order asked, each with a credential of its own id.
    expect(joined.map((n) => n.name)).toEqual(Array.from({ length: 1000 }, (_, i) => `bulk-${i}`));
    expect(joined.every((n) => n.created && n.token.startsWith(`k9n.${n.nodeId}.`))).toBe(true);
    expect((await statuses("bulk")).Provisioning).toBe(1000);
    // A node-group label or a name twice: 400 naming the item, and neither "late-0" nor "late-1" exists after.
    const grouped = await join([{ name: "late-0", cpu: 1 }, { name: "late-1", cpu: 1, labels: { "kube9.io/nodegroup": "g" } }]);
    expect(grouped).toMatchObject({ status: 400, body: expect.stringContaining("nodes[1].labels: kube9.io/nodegroup is set by node groups only") });
    const twice = await join([{ name: "late-0", cpu: 1 }, { name: "late-0", cpu: 2 }]);
    expect(twice).toMatchObject({ status: 400, body: expect.stringContaining('nodes[1].name: \\"late-0\\" is named twice') });
    expect(await statuses("late")).toEqual({});
  }, 60_000);

  it("a name taken by a node the API runs is a conflict", async () => {
    await admin.nodes.add.mutate({ name: "own-0", cpu: 1, runtime: "process" });
    await expect(
      fetch(`${api.url}/trpc/nodes.join`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${api.token}` },
        body: JSON.stringify({ nodes: [{ name: "fleet-1", cpu: 1 }, { name: "own-0", cpu: 1 }] }),
      }).then(async (r) => ({ status: r.status, body: await r.text() })),
    ).resolves.toMatchObject({ status: 409, body: expect.stringContaining('name \\"own-0\\" already exists') });
  }, 30_000);
});
