import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { createKube9Client } from "@kube9/client";
import Docker from "dockerode";
import { afterAll, describe, expect, it } from "vitest";
import { dockerReachable, LABEL_CLUSTER, LABEL_NODE_ID } from "../src/runtime/docker-runtime.js";
import { startControlPlane, type RunningControlPlane } from "../src/server.js";
import { freshPostgres, postgresRequiredButMissing, waitFor } from "./harness.js";

// Docker nodes shared by two API processes on one PostgreSQL database: a process that starts leaves the
// other's node containers alone, one that stops leaves them to the other, and the last one removes them.

const pgUrl = process.env.KUBE9_TEST_PG_URL;
const docker = new Docker();
const dockerAvailable = await dockerReachable(docker, 2000);

if (postgresRequiredButMissing() || (process.env.KUBE9_REQUIRE_DOCKER === "1" && !dockerAvailable)) {
  it("docker replicas suite", () => {
    throw new Error("KUBE9_REQUIRE_POSTGRES=1 / KUBE9_REQUIRE_DOCKER=1 but PostgreSQL (KUBE9_TEST_PG_URL) or the Docker engine is missing");
  });
}

describe.runIf(pgUrl && dockerAvailable)("docker nodes of two API processes (PostgreSQL, Docker)", () => {
  const homes: string[] = [];
  const running: RunningControlPlane[] = [];
  let clusterId = "";
  let drop: (() => Promise<void>) | undefined;

  afterAll(async () => {
    for (const api of running.reverse()) await api.close().catch(() => {});
    if (clusterId) {
      for (const c of await docker.listContainers({ all: true, filters: { label: [`${LABEL_CLUSTER}=${clusterId}`] } })) {
        await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
      }
    }
    await drop?.();
    for (const dir of homes) rmSync(dir, { recursive: true, force: true });
  });

  it("a second process leaves the first one's containers alone, a stopping one leaves them to the other, the last one removes them", async () => {
    const fresh = await freshPostgres(pgUrl!);
    drop = fresh.drop;
    const start = async (adminToken?: string) => {
      const home = mkdtempSync(join(tmpdir(), "kube9-replica-docker-"));
      homes.push(home);
      const api = await startControlPlane({ port: 0, home, databaseUrl: fresh.url, runtime: "docker", logLevel: "error", log: () => {}, ...(adminToken ? { adminToken } : {}) });
      running.push(api);
      return api;
    };
    const first = await start();
    clusterId = first.controlPlane.clusterId;
    const admin = createKube9Client({ url: first.url, token: first.token });
    const name = `rep-${randomBytes(3).toString("hex")}`;
    await admin.nodes.add.mutate({ name, cpu: 0.5, memoryMiB: 256 });
    await waitFor(async () => (await admin.nodes.get.query({ name })).node.status === "Ready", 30_000);
    const nodeId = (await admin.nodes.get.query({ name })).node.id;
    const containers = async () =>
      (await docker.listContainers({ all: true, filters: { label: [`${LABEL_NODE_ID}=${nodeId}`] } })).map((c) => `${c.Id}:${c.State}`);
    const made = await containers();
    expect(made).toHaveLength(1);

    // The second process starts: the container made for the first one's address stays.
    const second = await start(first.token);
    expect(await containers()).toEqual(made);
    // A couple of beats: the agent hears of the second address.
    await waitFor(async () => first.controlPlane.apiUrls().includes(second.url), 5000);
    await new Promise((r) => setTimeout(r, 2500));

    // The first stops while the second serves: the container stays, and the node stays Ready through the second.
    await first.close();
    expect(await containers()).toEqual(made);
    const other = createKube9Client({ url: second.url, token: first.token });
    const stoppedAt = Date.now();
    await waitFor(async () => Date.parse((await other.nodes.get.query({ name })).node.lastHeartbeatAt ?? "") > stoppedAt, 10_000);
    await new Promise((r) => setTimeout(r, 6000)); // past failedAfter and the new leader's look at silent agents
    expect((await other.nodes.get.query({ name })).node.status).toBe("Ready");
    expect(await containers()).toEqual(made);

    // The last one removes it.
    await second.close();
    expect(await containers()).toEqual([]);
  }, 120_000);
});
