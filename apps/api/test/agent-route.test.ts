import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane, type RunningControlPlane } from "../src/server.js";

// The agent procedures' plain node:http route (src/agent-route.ts) answers as tRPC's HTTP adapter does:
// same results, same error shapes and codes, the caller checked before the body, bodies bounded even
// when they come without a length. Real HTTP on 127.0.0.1; the API runs in this process.

const ADMIN = "k9a.agent-route-admin-token-0123456789";
const report = { podIds: [], usage: { cpuMilli: 0, memoryMiB: 0 }, components: {} };

interface Answer {
  status: number;
  body: { result?: { data: Record<string, unknown> }; error?: { message: string; code: number; data: { code: string; httpStatus: number; path: string; field?: string | null } } };
}

describe("agent procedures on the plain HTTP route", () => {
  let home: string;
  let api: RunningControlPlane;
  let node: { nodeId: string; token: string };

  const post = async (path: string, body: string, token?: string): Promise<Answer> => {
    const res = await fetch(`${api.url}/trpc/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
      signal: AbortSignal.timeout(20_000),
    });
    return { status: res.status, body: (await res.json()) as Answer["body"] };
  };
  /** The same call through tRPC's batch form, which the Express adapter serves. */
  const viaAdapter = async (path: string, input: unknown, token: string): Promise<Answer> => {
    const res = await fetch(`${api.url}/trpc/${path}?batch=1`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ 0: input }),
      signal: AbortSignal.timeout(20_000),
    });
    return { status: res.status, body: ((await res.json()) as Answer["body"][])[0]! };
  };

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "kube9-agent-route-"));
    api = await startControlPlane({ port: 0, home, adminToken: ADMIN, runtime: "process", logLevel: "error", log: () => {} });
    const joined = await post("nodes.join", JSON.stringify({ nodes: [{ name: "ext-1", cpu: 2 }] }), ADMIN);
    node = (joined.body.result!.data as { nodes: Array<{ nodeId: string; token: string }> }).nodes[0]!;
  });
  afterAll(async () => {
    await api?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("register and heartbeat answer what the adapter answers", async () => {
    const direct = await post("agent.register", JSON.stringify({ nodeId: node.nodeId }), node.token);
    expect(direct.status).toBe(200);
    // 2 cores = 2000 m; 4 GiB per core = 8192 MiB.
    expect(direct.body.result!.data).toMatchObject({ nodeId: node.nodeId, name: "ext-1", capacity: { cpuMilli: 2000, memoryMiB: 8192 } });
    const adapted = await viaAdapter("agent.register", { nodeId: node.nodeId }, node.token);
    expect(adapted.body.result!.data).toEqual(direct.body.result!.data);
    const beat = await post("agent.heartbeat", JSON.stringify({ nodeId: node.nodeId, ...report }), node.token);
    expect(beat.status).toBe(200);
    expect(beat.body.result!.data).toMatchObject({ desiredPodIds: [], heartbeatIntervalMs: 1000 });
  });

  it("a bad field gets the adapter's 400: same message, code and field", async () => {
    const input = { nodeId: node.nodeId, ...report, podIds: "not-a-list" };
    const direct = await post("agent.heartbeat", JSON.stringify(input), node.token);
    const adapted = await viaAdapter("agent.heartbeat", input, node.token);
    expect(direct.status).toBe(400);
    expect(direct.body.error!.data).toMatchObject({ code: "BAD_REQUEST", httpStatus: 400, path: "agent.heartbeat", field: "podIds" });
    expect(direct.body.error!.message).toBe(adapted.body.error!.message);
    expect(direct.body.error!.code).toBe(adapted.body.error!.code);
  });

  it("a body that is not JSON gets 400 PARSE_ERROR from a node, 401 from nobody, 403 with the admin token", async () => {
    const fromNode = await post("agent.heartbeat", "{not json", node.token);
    expect(fromNode.status).toBe(400);
    expect(fromNode.body.error!.data.code).toBe("PARSE_ERROR");
    const anonymous = await post("agent.heartbeat", "{not json");
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error!.message).toBe("missing node credential");
    const admin = await post("agent.heartbeat", JSON.stringify({ nodeId: node.nodeId, ...report }), ADMIN);
    expect(admin.status).toBe(403);
  });

  it("a body over 1 MiB sent without a length (chunked) gets 413 and the connection is closed", async () => {
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const u = new URL(api.url);
      const req = request({ host: u.hostname, port: u.port, method: "POST", path: "/trpc/agent.heartbeat", headers: { "content-type": "application/json", authorization: `Bearer ${node.token}` } }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on("error", reject);
      // 3 MiB in 64 KiB chunks; the server stops reading after 1 MiB, so writes may fail after the answer.
      req.write('{"junk":"');
      const chunk = "x".repeat(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 48) {
          sent++;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        req.end('"}');
      };
      pump();
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.text).error.data.code).toBe("PAYLOAD_TOO_LARGE");
    // The API still serves the node afterwards.
    expect((await post("agent.heartbeat", JSON.stringify({ nodeId: node.nodeId, ...report }), node.token)).status).toBe(200);
  });

  it("other paths and the batch form still go to the general API", async () => {
    expect((await post("agent.nope", "{}", node.token)).status).toBe(404);
    const adapted = await viaAdapter("agent.heartbeat", { nodeId: node.nodeId, ...report }, node.token);
    expect(adapted.body.result!.data).toMatchObject({ desiredPodIds: [] });
  });
});
