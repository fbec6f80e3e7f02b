import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { createKube9Client, type Kube9Client } from "@kube9/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeDTO, PodDTO } from "../src/dto.js";
import { startControlPlane, type RunningControlPlane } from "../src/server.js";
import { hubFor, WATCH_BUFFER_BYTES } from "../src/watch-hub.js";
import { createHarness, type Harness } from "./harness.js";

/** What watches may hold and how many there may be (PGlite; the PostgreSQL cases are in event-watch-replicas). */

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe("the watch hub's memory", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("a flood of node changes carrying 10,000 pod ids each leaves a bounded resumption buffer; a watcher it outran gets a snapshot", async () => {
    const hub = hubFor(h.cp);
    const before = hub.position;
    const base: NodeDTO = {
      id: "00000000-0000-4000-8000-000000000001",
      name: "flooder",
      role: "worker",
      status: "Ready",
      reason: null,
      capacity: { cpuMilli: 4000, memoryMiB: 4096 },
      allocated: { cpuMilli: 0, memoryMiB: 0 },
      podIds: [],
      lastHeartbeatAt: null,
      labels: {},
      runtime: "process",
      containerId: null,
      recoveryAttempts: 0,
      usage: null,
      components: {},
      createdAt: new Date(0).toISOString(),
    };
    const heap0 = heapUsed();
    const CHANGES = 150;
    const ids: string[] = [];
    // What the cache emits when a node reports a new list of pods: fresh strings every time, as parsed from each heartbeat.
    for (let i = 0; i < CHANGES; i++) {
      const text = JSON.stringify(Array.from({ length: 10_000 }, (_, j) => `${String(i).padStart(8, "0")}-0000-4000-8000-${String(j).padStart(12, "0")}`));
      const podIds = JSON.parse(text) as string[];
      h.cp.changes.emit("node", { ...base, podIds });
      ids.push(hub.position);
    }
    const grown = heapUsed() - heap0;
    console.log(`heap kept after ${CHANGES} changes of 10,000 pod ids: ${(grown / 2 ** 20).toFixed(1)} MiB (budget ${WATCH_BUFFER_BYTES / 2 ** 20} MiB)`);
    // Whole, these changes take about 90 MiB; the buffer may hold 32 MiB.
    expect(grown).toBeLessThan(48 * 2 ** 20);
    expect(hub.buffered.bytes).toBeLessThanOrEqual(WATCH_BUFFER_BYTES);
    expect(hub.buffered.changes).toBeLessThan(CHANGES);

    // From before the flood: the changes are gone, so a snapshot. From near its end: exactly the changes after.
    const first = async (lastId: string, n: number) => {
      const ac = new AbortController();
      const w = hub.watch<NodeDTO>("node", lastId, async () => [], ac.signal);
      const got = [];
      for (let i = 0; i < n; i++) got.push((await w.next()).value!);
      ac.abort();
      await w.return(undefined);
      return got;
    };
    expect((await first(before, 1))[0]!.data.type).toBe("snapshot");
    const tail = await first(ids[CHANGES - 4]!, 3);
    expect(tail.map((m) => m.id)).toEqual(ids.slice(CHANGES - 3));
    expect(tail.map((m) => m.data.type === "change" && m.data.item.podIds[0])).toEqual(
      [CHANGES - 3, CHANGES - 2, CHANGES - 1].map((i) => `${String(i).padStart(8, "0")}-0000-4000-8000-000000000000`),
    );
  });

  it("a pod watcher that does not read while 12,000 changes go by gets a fresh snapshot instead of an ever longer queue", async () => {
    const hub = hubFor(h.cp);
    const ac = new AbortController();
    let snapshots = 0;
    const w = hub.watch<PodDTO>("pod", undefined, async () => {
      snapshots++;
      return [];
    }, ac.signal);
    expect((await w.next()).value!.data.type).toBe("snapshot");
    const pod = { id: "00000000-0000-4000-8000-0000000000aa", name: "busy", namespace: "default" } as PodDTO;
    for (let i = 0; i < 12_000; i++) h.cp.changes.emit("pod", { ...pod, restarts: i });
    const next = (await w.next()).value!;
    expect(next.data.type).toBe("snapshot");
    expect(next.id).toBe(hub.position);
    expect(snapshots).toBe(2);
    // Then live again.
    h.cp.changes.emit("pod", { ...pod, restarts: 12_000 });
    const live = (await w.next()).value!;
    expect(live.data.type === "change" && live.data.item.restarts).toBe(12_000);
    ac.abort();
    await w.return(undefined);
  });

  it("an events watcher that does not read while 12,000 events are recorded catches up from the store: all, once, in order", async () => {
    const hub = hubFor(h.cp);
    const ac = new AbortController();
    const w = hub.watchEvents(undefined, undefined, ac.signal);
    // The first event makes the watch start; the rest pile up while nobody reads.
    const firstEvent = w.next();
    await sleep(200);
    const recorded: Array<Promise<void>> = [];
    for (let i = 0; i < 12_000; i++) recorded.push(h.cp.events.cluster("Flood", `event ${i}`));
    await Promise.all(recorded);
    const got = [(await firstEvent).value!];
    while (got.length < 12_000) got.push((await w.next()).value!);
    ac.abort();
    await w.return(undefined);
    expect(got.map((m) => m.data.message)).toEqual(Array.from({ length: 12_000 }, (_, i) => `event ${i}`));
    const ids = got.map((m) => m.data.id);
    expect(ids.every((id, i) => i === 0 || id === ids[i - 1]! + 1)).toBe(true);
  }, 120_000);
});

describe("open watches per API process (over HTTP)", () => {
  let home: string;
  let api: RunningControlPlane;
  let c: Kube9Client;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "kube9-watch-limits-"));
    api = await startControlPlane({ port: 0, home, runtime: "process", logLevel: "error", log: () => {} });
    c = createKube9Client({ url: api.url, token: api.token, timeoutMs: 30_000 });
  });
  afterAll(async () => {
    await api?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("past the limit a watch is refused with a clear error, and a closed watch frees its place", async () => {
    const hub = hubFor(api.controlPlane);
    hub.limits.maxWatches = 3;
    const noop = { onData: () => {}, onError: () => {} };
    const subs = [c.nodes.watch.subscribe(undefined, noop), c.pods.watch.subscribe(undefined, noop), c.events.watch.subscribe(undefined, noop)];
    const until = async (cond: () => boolean, what: string) => {
      const end = Date.now() + 10_000;
      while (!cond()) {
        if (Date.now() > end) throw new Error(`${what} (open watches: ${hub.watching})`);
        await sleep(25);
      }
    };
    await until(() => hub.watching === 3, "the three watches did not open");

    const refused = await new Promise<unknown>((resolve) => {
      const s = c.events.watch.subscribe(undefined, { onData: () => resolve(null), onError: (err) => resolve(err) });
      setTimeout(() => resolve("no answer"), 10_000);
      subs.push(s);
    });
    expect(refused).toBeInstanceOf(Error);
    const err = refused as Error & { data?: { code?: string } };
    expect(err.message).toBe("too many open watches on this API server (limit 3); close some watches or retry later");
    expect(err.data?.code).toBe("TOO_MANY_REQUESTS");
    expect(hub.watching).toBe(3);

    subs[0]!.unsubscribe();
    await until(() => hub.watching === 2, "a closed watch kept its place");
    const got = await new Promise<string>((resolve, reject) => {
      const s = c.nodes.watch.subscribe(undefined, { onData: (m) => resolve((m as { data: { type: string } }).data.type), onError: reject });
      subs.push(s);
    });
    expect(got).toBe("snapshot");
    for (const s of subs) s.unsubscribe();
    await until(() => hub.watching === 0, "closed watches kept their places");
  });
});
