import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { EventSource } from "eventsource";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventDTO, NodeDTO, PodDTO } from "../src/dto.js";
import type { AppRouter } from "../src/router/_app.js";
import { startControlPlane, type RunningControlPlane } from "../src/server.js";
import type { WatchMessage } from "../src/watch-hub.js";

/** A typed client like @kube9/client's (which the API cannot depend on): batch link + SSE link with the token. */
function client(url: string, token: string) {
  const auth = { authorization: `Bearer ${token}` };
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url: `${url}/trpc`,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input: string | URL, init: { headers: Record<string, string> }) =>
              fetch(input, { ...(init as RequestInit), headers: { ...init.headers, ...auth } }),
          }),
        }),
        false: httpBatchLink({ url: `${url}/trpc`, headers: () => auth }),
      }),
    ],
  });
}

type Client = ReturnType<typeof client>;
interface Tracked<T> {
  id: string;
  data: T;
}

/** Collects what a subscription yields, with a way to wait for a matching message. */
function collect<T>(subscribe: (onData: (m: Tracked<T>) => void, onError: (e: unknown) => void) => { unsubscribe(): void }) {
  const got: Array<Tracked<T>> = [];
  const errors: unknown[] = [];
  const waiters: Array<() => void> = [];
  const sub = subscribe(
    (m) => {
      got.push(m);
      for (const w of waiters.splice(0)) w();
    },
    (e) => errors.push(e),
  );
  return {
    got,
    errors,
    stop: () => sub.unsubscribe(),
    async until(pred: (m: Tracked<T>) => boolean, timeoutMs = 10_000): Promise<Tracked<T>> {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const hit = got.find(pred);
        if (hit) return hit;
        if (errors.length) throw errors[0];
        if (Date.now() > end) throw new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(got).slice(0, 500)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
    },
  };
}

const isChange = <T extends { name: string }>(name: string) => (m: Tracked<WatchMessage<T>>) =>
  m.data.type === "change" && m.data.item.name === name;

describe("watches over SSE (real HTTP server)", () => {
  let home: string;
  let api: RunningControlPlane;
  let c: Client;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "kube9-watch-"));
    api = await startControlPlane({ port: 0, home, runtime: "process", logLevel: "error", log: () => {} });
    c = client(api.url, api.token);
  });
  afterAll(async () => {
    await api?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("a client subscribed before a change receives it", async () => {
    const w = collect<WatchMessage<NodeDTO>>((onData, onError) => c.nodes.watch.subscribe(undefined, { onData, onError }));
    const first = await w.until(() => true);
    expect(first.data.type).toBe("snapshot");
    await c.nodes.add.mutate({ name: "w1", cpu: 2, runtime: "hollow" });
    const added = await w.until(isChange("w1"));
    expect(added.data.type === "change" && added.data.item.capacity.cpuMilli).toBe(2000);
    // The hollow agent registers: the same watch sees the node turn Ready.
    await w.until((m) => m.data.type === "change" && m.data.item.name === "w1" && m.data.item.status === "Ready");
    w.stop();
  });

  it("pods: a client that reconnects with its last id receives exactly what it missed", async () => {
    const a = collect<WatchMessage<PodDTO>>((onData, onError) => a_sub(onData, onError));
    function a_sub(onData: (m: Tracked<WatchMessage<PodDTO>>) => void, onError: (e: unknown) => void) {
      return c.pods.watch.subscribe(undefined, { onData, onError });
    }
    await a.until((m) => m.data.type === "snapshot");
    await c.pods.launch.mutate({ name: "seen", cpu: 0.1 });
    const seen = await a.until(isChange("seen"));
    a.stop();

    // While disconnected: two pods are launched and one deleted.
    await c.pods.launch.mutate({ name: "missed-1", cpu: 0.1 });
    await c.pods.launch.mutate({ name: "missed-2", cpu: 0.1 });
    await c.pods.delete.mutate({ name: "seen" });

    const b = collect<WatchMessage<PodDTO>>((onData, onError) =>
      c.pods.watch.subscribe({ lastEventId: seen.id }, { onData, onError }),
    );
    await b.until(isChange("missed-2"));
    await b.until((m) => m.data.type === "change" && m.data.item.name === "seen" && m.data.item.status === "Terminating");
    expect(b.got.some((m) => m.data.type === "snapshot")).toBe(false);
    expect(b.got.some((m) => m.data.type === "change" && m.data.item.name === "missed-1")).toBe(true);
    // Nothing from before the last id comes again (a later change of "seen", e.g. Running, is news).
    const seenBefore = seen.data.type === "change" ? seen.data.item : null;
    expect(b.got.filter((m) => m.data.type === "change" && m.data.item.name === "seen" && m.data.item.status === seenBefore?.status)).toEqual([]);
    // Ids increase.
    const seqs = b.got.map((m) => Number(m.id.split(":")[1]));
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    b.stop();
  });

  it("an id the server cannot resume from (another API process, or too old) gets a snapshot", async () => {
    const w = collect<WatchMessage<PodDTO>>((onData, onError) =>
      c.pods.watch.subscribe({ lastEventId: "00000000:5" }, { onData, onError }),
    );
    const first = await w.until(() => true);
    expect(first.data.type).toBe("snapshot");
    expect(first.data.type === "snapshot" && first.data.items.map((p) => p.name).sort()).toEqual(["missed-1", "missed-2"]);
    w.stop();
  });

  it("events: live, then a reconnect with the last id replays the missed events from the store", async () => {
    const a = collect<EventDTO>((onData, onError) => c.events.watch.subscribe(undefined, { onData, onError }));
    await new Promise((r) => setTimeout(r, 300));
    await c.pods.launch.mutate({ name: "ev-1", cpu: 0.1 });
    const live = await a.until((m) => m.data.objectName === "ev-1" && m.data.reason === "Scheduled");
    expect(live.id).toBe(String(live.data.id));
    a.stop();

    await c.pods.delete.mutate({ name: "ev-1" });
    await c.cluster.setAlgorithm.mutate({ algorithm: "best-fit" });

    const b = collect<EventDTO>((onData, onError) => c.events.watch.subscribe({ lastEventId: live.id }, { onData, onError }));
    await b.until((m) => m.data.reason === "AlgorithmChanged");
    const reasons = b.got.map((m) => m.data.reason);
    expect(reasons).toContain("PodDeleted");
    expect(b.got.every((m) => m.data.id > live.data.id)).toBe(true);
    const ids = b.got.map((m) => m.data.id);
    expect(new Set(ids).size).toBe(ids.length);
    b.stop();
  });

  it("the raw SSE endpoint honours the Last-Event-ID header and rejects a missing token", async () => {
    // tRPC answers an SSE request with 200 and reports the error inside the stream, then ends it.
    const denied = await fetch(`${api.url}/trpc/events.watch`, { headers: { accept: "text/event-stream" } });
    const deniedText = await denied.text();
    expect(deniedText).toContain("serialized-error");
    expect(deniedText).toContain("UNAUTHORIZED");

    const first = await c.events.list.query({ limit: 1 });
    const ac = new AbortController();
    const res = await fetch(`${api.url}/trpc/events.watch`, {
      headers: { accept: "text/event-stream", authorization: `Bearer ${api.token}`, "last-event-id": String(first[0]!.id) },
      signal: ac.signal,
    });
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    // The next event: caused here, so the test does not depend on what earlier tests left in flight.
    await c.cluster.setAlgorithm.mutate({ algorithm: "best-fit" });
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes(`id: ${first[0]!.id + 1}`)) {
      const r = await reader.read();
      if (r.done) break;
      text += new TextDecoder().decode(r.value);
    }
    ac.abort();
    expect(text).toContain(`id: ${first[0]!.id + 1}`);
    expect(text).not.toContain(`id: ${first[0]!.id}\n`);
  });

  it("closing the server ends open watches instead of hanging", async () => {
    const h2 = mkdtempSync(join(tmpdir(), "kube9-watch-close-"));
    const api2 = await startControlPlane({ port: 0, home: h2, runtime: "process", logLevel: "error", log: () => {} });
    const c2 = client(api2.url, api2.token);
    const subs = [
      collect<WatchMessage<NodeDTO>>((onData, onError) => c2.nodes.watch.subscribe(undefined, { onData, onError })),
      collect<WatchMessage<PodDTO>>((onData, onError) => c2.pods.watch.subscribe(undefined, { onData, onError })),
      collect<EventDTO>((onData, onError) => c2.events.watch.subscribe(undefined, { onData, onError })),
    ];
    await subs[0]!.until(() => true);
    await subs[1]!.until(() => true);
    const started = Date.now();
    await api2.close();
    const closeMs = Date.now() - started;
    console.log(`close with 3 open watches took ${closeMs} ms`);
    expect(closeMs).toBeLessThan(5000);
    for (const s of subs) s.stop();
    rmSync(h2, { recursive: true, force: true });
  });
});
