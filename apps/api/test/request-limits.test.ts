import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane, type RunningControlPlane } from "../src/server.js";

/**
 * Regression: agent procedures read (and parsed) the whole request body before checking the caller, and
 * bodies had no size limit: one anonymous 25 MB POST to /trpc/agent.register doubled the API's memory and
 * stalled it for seconds. Required: the caller is checked before the input is read, and bodies over about
 * 1 MiB are refused with HTTP 413. Real HTTP to 127.0.0.1 only; the API runs in this process, so its
 * memory is this process's RSS.
 */

const ADMIN_TOKEN = "k9a.request-limits-admin-token-0123456789";
const MiB = 1024 * 1024;

/** The parts of a JSON document of about `bytes` bytes: the given fields plus a long array of zeros (costly to parse). */
function jsonParts(fields: Record<string, unknown>, bytes: number) {
  const head = Buffer.from(`${JSON.stringify(fields).slice(0, -1)}${Object.keys(fields).length ? "," : ""}"junk":[`);
  const tail = Buffer.from("0]}");
  const pairs = Math.max(0, Math.floor((bytes - head.length - tail.length) / 2));
  return { head, tail, pairs, length: head.length + pairs * 2 + tail.length };
}

/** The whole document in one buffer (for bodies of a few MiB). */
function bigJson(fields: Record<string, unknown>, bytes: number): Buffer {
  const { head, tail, pairs, length } = jsonParts(fields, bytes);
  const buf = Buffer.allocUnsafe(length);
  head.copy(buf, 0);
  buf.fill("0,", head.length, head.length + pairs * 2);
  tail.copy(buf, head.length + pairs * 2);
  return buf;
}

/**
 * The same document streamed from one reused 64 KiB chunk, with its Content-Length: sending it costs this
 * process almost no memory (fetch copies a Buffer body whole), so RSS growth is the server's.
 */
function bigJsonStream(fields: Record<string, unknown>, bytes: number): { stream: ReadableStream<Uint8Array>; length: number } {
  const { head, tail, pairs, length } = jsonParts(fields, bytes);
  const chunk = Buffer.alloc(64 * 1024, "0,");
  let left = pairs * 2;
  let stage: "head" | "body" | "tail" | "done" = "head";
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (stage === "head") {
        controller.enqueue(new Uint8Array(head));
        stage = "body";
      } else if (stage === "body") {
        const n = Math.min(chunk.length, left);
        if (n > 0) controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, n));
        left -= n;
        if (left === 0) stage = "tail";
      } else if (stage === "tail") {
        controller.enqueue(new Uint8Array(tail));
        stage = "done";
      } else {
        controller.close();
      }
    },
  });
  return { stream, length };
}

describe("request limits and authentication before input (real HTTP server)", () => {
  let home: string;
  let api: RunningControlPlane;

  const post = async (path: string, body: Buffer | string | { stream: ReadableStream<Uint8Array>; length: number }, token?: string) => {
    const started = Date.now();
    const streamed = typeof body === "object" && "stream" in body;
    const res = await fetch(`${api.url}/trpc/${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(streamed ? { "content-length": String(body.length) } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: streamed ? body.stream : body,
      ...(streamed ? { duplex: "half" } : {}),
      signal: AbortSignal.timeout(20_000),
    } as RequestInit);
    const text = await res.text();
    return { status: res.status, text, ms: Date.now() - started };
  };

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "kube9-limits-"));
    api = await startControlPlane({ port: 0, home, adminToken: ADMIN_TOKEN, runtime: "process", logLevel: "error", log: () => {} });
  });
  afterAll(async () => {
    await api?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  // First, while the process is fresh: the memory measurement is about this request alone.
  it("an anonymous 25 MB POST to agent.register is refused quickly (413 or 401) without growing the API's memory", async () => {
    const fields = { nodeId: "00000000-0000-4000-8000-000000000000", agentVersion: "1" };
    // Warm up the path (and this client) with a small request, so the baseline is steady.
    for (let i = 0; i < 3; i++) await post("agent.register", bigJsonStream(fields, 64 * 1024));
    await new Promise((r) => setTimeout(r, 200));
    const body = bigJsonStream(fields, 25 * MiB);
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    let res: Awaited<ReturnType<typeof post>>;
    try {
      res = await post("agent.register", body);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const grewMiB = Math.round((peak - before) / MiB);
    console.log(`anonymous 25 MB agent.register: HTTP ${res.status} in ${res.ms} ms, RSS +${grewMiB} MiB`);
    expect([401, 413]).toContain(res.status);
    expect(grewMiB, "RSS growth in MiB").toBeLessThan(50);
    expect(res.ms, "answer time in ms").toBeLessThan(1000);
  });

  it("an admin POST of 2 MiB to pods.launch gets 413", async () => {
    // Valid JSON with a valid launch in it: without a limit the padding is simply ignored and the pod is launched.
    const body = bigJson({ name: "too-big-body", cpu: 0.1 }, 2 * MiB);
    const res = await post("pods.launch", body, ADMIN_TOKEN);
    console.log(`admin 2 MiB pods.launch: HTTP ${res.status} in ${res.ms} ms`);
    expect(res.status).toBe(413);
    const list = await fetch(`${api.url}/trpc/pods.list`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const pods = ((await list.json()) as { result: { data: Array<{ name: string }> } }).result.data;
    expect(pods.map((p) => p.name)).not.toContain("too-big-body");
  });

  it("an anonymous agent.heartbeat whose body is not JSON gets 401 UNAUTHORIZED (the caller is checked before the input is parsed)", async () => {
    const res = await post("agent.heartbeat", "{this is not json");
    console.log(`anonymous non-JSON agent.heartbeat: HTTP ${res.status}: ${res.text.slice(0, 200)}`);
    expect(res.status).toBe(401);
    expect(res.text).toContain("UNAUTHORIZED");
  });

  it("normal small requests still work: a launch with the admin token succeeds", async () => {
    const res = await post("pods.launch", JSON.stringify({ name: "small-one", cpu: 0.1 }), ADMIN_TOKEN);
    expect(res.status).toBe(200);
    const data = (JSON.parse(res.text) as { result: { data: { pod: { name: string } } } }).result.data;
    expect(data.pod.name).toBe("small-one");
    // And a body just under the limit is not refused for its size.
    // (Padding in a field the launch takes: unknown fields are refused.)
    const env = Object.fromEntries(Array.from({ length: 225 }, (_, i) => [`V${i}`, "x".repeat(4000)]));
    const nearLimit = await post("pods.launch", JSON.stringify({ name: "near-limit", cpu: 0.1, image: "busybox", env }), ADMIN_TOKEN);
    expect(JSON.stringify({ env }).length).toBeGreaterThan(880 * 1024);
    expect(nearLimit.status).toBe(200);
  });
});
