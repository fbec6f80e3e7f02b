/**
 * Docker runtime figures (issue 3), run when a Docker engine answers:
 *  - node-agent image build time (cold: image removed first) and size;
 *  - time from `node add --runtime docker` to Ready (median of 10);
 *  - memory of one idle node container (as `docker stats` counts it);
 *  - time from `docker kill` of a node container to its pod Running elsewhere (median of 5).
 *
 * Run: npm run build && npx tsx bench/docker-bench.ts
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKube9Client, type Kube9Client } from "@kube9/client";
import Docker from "dockerode";
import { freePort, median, ROOT, until } from "./lib.js";

const docker = new Docker();

/** Whether the engine answers within a second. */
export async function dockerAnswers(): Promise<boolean> {
  return Promise.race([
    docker.ping().then(() => true, () => false),
    new Promise<boolean>((r) => setTimeout(() => r(false), 1000).unref()),
  ]);
}

async function withDockerControlPlane<T>(fn: (c: Kube9Client, clusterId: string) => Promise<T>): Promise<T> {
  const home = mkdtempSync(join(tmpdir(), "kube9-bench-docker-"));
  const port = await freePort();
  const token = `k9a.bench-${Date.now()}-token`;
  const env: NodeJS.ProcessEnv = { ...process.env, KUBE9_HOME: home, KUBE9_ADMIN_TOKEN: token, KUBE9_LOG_LEVEL: "error" };
  delete env.DATABASE_URL;
  const api = spawn(process.execPath, [join(ROOT, "apps/cli/dist/main.js"), "up", "--port", String(port), "--runtime", "docker"], {
    env,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<void>((r) => api.once("exit", () => r()));
  let clusterId = "";
  try {
    const c = createKube9Client({ url: `http://127.0.0.1:${port}`, token });
    const health = await until(async () => c.health.check.query().catch(() => undefined), 120_000, 100);
    clusterId = health.clusterId;
    return await fn(c, clusterId);
  } finally {
    api.kill("SIGTERM");
    await exited;
    // `kube9 up` removes its containers on stop; make sure, by label.
    if (clusterId) {
      for (const ct of await docker.listContainers({ all: true, filters: { label: [`kube9.cluster=${clusterId}`] } })) {
        await docker.getContainer(ct.Id).remove({ force: true }).catch(() => {});
      }
    }
    rmSync(home, { recursive: true, force: true });
  }
}

/** Cold build: removes the image (if no container uses it) and builds it again. */
export async function imageBuild(): Promise<{ ms: number; mb: number; cold: boolean }> {
  const { ensureAgentImage, agentImageRef } = await import("../apps/api/dist/runtime/docker-image.js");
  let cold = true;
  await docker.getImage(agentImageRef()).remove().catch((err: { statusCode?: number }) => {
    if (err.statusCode !== 404) cold = false;
  });
  const info = await ensureAgentImage(docker, { force: true });
  return { ms: info.durationMs, mb: info.sizeBytes / 1e6, cold };
}

/** node add (docker) -> Ready, and the idle memory of one node container. */
export async function dockerNodeReady(runs = 10): Promise<{ times: number[]; idleMiB: number }> {
  return withDockerControlPlane(async (c) => {
    await c.nodes.prepareRuntime.mutate({ runtime: "docker" });
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await c.nodes.add.mutate({ name: `r${i}`, cpu: 1, runtime: "docker" });
      await until(async () => (await c.nodes.get.query({ name: `r${i}` })).node.status === "Ready", 30_000, 5);
      times.push(performance.now() - t0);
    }
    await new Promise((r) => setTimeout(r, 3000));
    const stats = (await docker.getContainer("kube9-node-r0").stats({ stream: false })) as {
      memory_stats: { usage?: number; stats?: Record<string, number> };
    };
    const m = stats.memory_stats;
    // As `docker stats` does: usage minus the page cache.
    const cache = m.stats?.inactive_file ?? m.stats?.total_inactive_file ?? m.stats?.cache ?? 0;
    return { times, idleMiB: ((m.usage ?? 0) - cache) / 1024 / 1024 };
  });
}

/** docker kill of a node container -> its pod Running on another node. */
export async function dockerKillFailover(runs = 5): Promise<number[]> {
  return withDockerControlPlane(async (c) => {
    await c.nodes.prepareRuntime.mutate({ runtime: "docker" });
    await c.nodes.add.mutate({ name: "spare", cpu: 8, runtime: "docker" });
    const out: number[] = [];
    for (let i = 0; i < runs; i++) {
      const name = `v${i}`;
      await c.nodes.add.mutate({ name, cpu: 1, runtime: "docker" });
      await until(async () => (await c.nodes.get.query({ name })).node.status === "Ready", 30_000);
      await c.pods.launch.mutate({ name: `pod-${i}`, cpu: 1, algorithm: "best-fit" });
      await until(async () => {
        const p = (await c.pods.get.query({ name: `pod-${i}` })).pod;
        return p.status === "Running" && p.nodeName === name;
      }, 10_000);
      const t0 = performance.now();
      await docker.getContainer(`kube9-node-${name}`).kill();
      const ms = await until(async () => {
        const p = (await c.pods.get.query({ name: `pod-${i}` })).pod;
        return p.status === "Running" && p.nodeName !== name ? performance.now() - t0 : undefined;
      }, 30_000);
      out.push(ms);
      await c.nodes.remove.mutate({ name });
    }
    return out;
  });
}

/** Runs the docker benchmarks and prints the figures. */
export async function runDockerBench(log: (s: string) => void = console.log): Promise<void> {
  const img = await imageBuild();
  log(`node-agent image build (${img.cold ? "cold" : "image in use, rebuilt"}): ${(img.ms / 1000).toFixed(1)} s, ${img.mb.toFixed(1)} MB`);
  const ready = await dockerNodeReady(10);
  log(
    `node add --runtime docker -> Ready: median ${median(ready.times).toFixed(0)} ms over ${ready.times.length} ` +
      `(min ${Math.min(...ready.times).toFixed(0)}, max ${Math.max(...ready.times).toFixed(0)})`,
  );
  log(`idle node container memory: ${ready.idleMiB.toFixed(1)} MiB`);
  const kill = await dockerKillFailover(5);
  log(`docker kill -> its pod Running elsewhere: median ${(median(kill) / 1000).toFixed(2)} s (5 runs; ${kill.map((k) => (k / 1000).toFixed(2)).join(", ")})`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!(await dockerAnswers())) {
    console.log("no Docker engine answers; skipping the docker benchmarks");
  } else {
    await runDockerBench();
  }
  process.exit(0);
}
