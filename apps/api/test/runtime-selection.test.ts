/**
 * `kube9 up --runtime process` with a Docker engine running: the API must not touch containers it was
 * not asked to manage. A node container of this cluster left by an earlier docker run stays as it was
 * through a start and a stop (no adoption, no removal). Needs a Docker engine; fails when
 * KUBE9_REQUIRE_DOCKER=1 and none answers.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import Docker from "dockerode";
import { afterAll, describe, expect, it } from "vitest";
import { dockerReachable } from "../src/runtime/docker-runtime.js";
import { startControlPlane } from "../src/index.js";

const required = process.env.KUBE9_REQUIRE_DOCKER === "1";
const docker = new Docker();
const dockerAvailable = await dockerReachable(docker, 2000);
const TEST_LABEL = "kube9.test";
const run = `runtime-selection-${randomUUID().slice(0, 8)}`;
const image = `kube9-test-empty:${run}`;

it("the Docker engine answers when CI requires it", () => {
  expect(required && !dockerAvailable, "KUBE9_REQUIRE_DOCKER=1 but the Docker engine does not answer").toBe(false);
});

afterAll(async () => {
  if (!dockerAvailable) return;
  const left = await docker.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${run}`] } });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => {})));
  await docker.getImage(image).remove({ force: true }).catch(() => {});
});

/** An image with no files (an empty tar): enough to create, never to start, a container. */
async function emptyImage(): Promise<void> {
  const tar = Readable.from([Buffer.alloc(1024)]);
  const stream = await docker.importImage(tar as unknown as string, { repo: image.split(":")[0], tag: run });
  await new Promise<void>((res, rej) => docker.modem.followProgress(stream, (err: Error | null) => (err ? rej(err) : res())));
}

describe.runIf(dockerAvailable)("runtime process", () => {
  it("leaves this cluster's node containers alone: none adopted, removed or stopped at start or stop", async () => {
    const home = mkdtempSync(join(tmpdir(), "kube9-runtime-sel-"));
    try {
      // A first start makes the cluster (and its id, which node containers are labelled with).
      const first = await startControlPlane({ port: 0, home, runtime: "process", logLevel: "error" });
      const clusterId = first.controlPlane.clusterId;
      await first.close();

      await emptyImage();
      const made = await docker.createContainer({
        Image: image,
        Cmd: ["/agent"],
        name: `kube9-node-${run}`,
        Labels: { "kube9.cluster": clusterId, "kube9.node-id": randomUUID(), "kube9.node": run, [TEST_LABEL]: run },
      });

      const again = await startControlPlane({ port: 0, home, runtime: "process", logLevel: "error" });
      expect(again.runtime).toBe("process");
      await again.close();

      const info = await made.inspect();
      expect(info.Config.Labels["kube9.cluster"]).toBe(clusterId);
      expect(info.State.Status).toBe("created");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);
});
