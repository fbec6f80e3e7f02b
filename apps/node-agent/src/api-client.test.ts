import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { FakeApi } from "../test/fake-api.js";
import { AgentApiClient, ApiError, parseAnswer } from "./api-client.js";
import { errorCode } from "./errors.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const beat = (nodeId: string) => ({ nodeId, podIds: [], usage: { cpuMilli: 1, memoryMiB: 30 }, components: {} });
const signal = () => new AbortController().signal;

/** A bare HTTP server that answers every POST as tRPC would, counting connections and requests. */
async function countingServer(onRequest?: (req: IncomingMessage, n: number) => boolean): Promise<{ url: string; connections: () => number; requests: () => number }> {
  let connections = 0;
  let requests = 0;
  const server: Server = createServer((req, res) => {
    const n = ++requests;
    req.resume();
    req.on("end", () => {
      // onRequest returns false to drop the connection without an answer.
      if (onRequest && !onRequest(req, n)) return req.socket.destroy();
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ result: { data: { n, path: req.url } } }));
    });
  });
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections, requests: () => requests };
}

describe("AgentApiClient", () => {
  it("calls a real tRPC server's procedures and returns their data", async () => {
    const api = await new FakeApi().listen(0);
    cleanups.push(() => api.close());
    const node = api.addNode("n1", { heartbeatIntervalMs: 321, desiredPodIds: ["p1"] });
    const client = new AgentApiClient({ url: `${api.url}/`, token: node.token });
    cleanups.push(() => client.close());
    const answer = await client.call("agent.heartbeat", beat("n1"), signal());
    expect(answer).toMatchObject({ desiredPodIds: ["p1"], heartbeatIntervalMs: 321 });
    expect(api.beatsOf("n1")).toHaveLength(1);
  });

  it("turns error answers into ApiError with the tRPC code", async () => {
    const api = await new FakeApi().listen(0);
    cleanups.push(() => api.close());
    const node = api.addNode("n1");
    const wrongToken = new AgentApiClient({ url: api.url, token: "nope" });
    const wrongNode = new AgentApiClient({ url: api.url, token: node.token });
    cleanups.push(() => wrongToken.close(), () => wrongNode.close());
    const unauthorized = await wrongToken.call("agent.heartbeat", beat("n1"), signal()).catch((e: unknown) => e);
    expect(unauthorized).toBeInstanceOf(ApiError);
    expect(errorCode(unauthorized)).toBe("UNAUTHORIZED");
    expect((unauthorized as ApiError).httpStatus).toBe(401);
    const forbidden = await wrongNode.call("agent.heartbeat", beat("n2"), signal()).catch((e: unknown) => e);
    expect(errorCode(forbidden)).toBe("FORBIDDEN");
    expect((forbidden as Error).message).toBe("this node credential belongs to another node");
  });

  it("keeps one connection for many calls", async () => {
    const server = await countingServer();
    const client = new AgentApiClient({ url: server.url, token: "t" });
    cleanups.push(() => client.close());
    for (let i = 0; i < 20; i++) expect(await client.call("agent.heartbeat", beat("n1"), signal())).toEqual({ n: i + 1, path: "/trpc/agent.heartbeat" });
    expect(server.connections()).toBe(1);
  });

  it("sends a call again on a new connection when a kept-alive one was closed under it", async () => {
    // The second request arrives on the reused connection and is dropped, as when the API's idle timeout fires.
    const server = await countingServer((_req, n) => n !== 2);
    const client = new AgentApiClient({ url: server.url, token: "t" });
    cleanups.push(() => client.close());
    await client.call("agent.heartbeat", beat("n1"), signal());
    expect(await client.call("agent.heartbeat", beat("n1"), signal())).toEqual({ n: 3, path: "/trpc/agent.heartbeat" });
    expect(server.connections()).toBe(2);
  });

  it("does not send again when a fresh connection fails, or after an abort", async () => {
    const server = await countingServer(() => false);
    const client = new AgentApiClient({ url: server.url, token: "t" });
    cleanups.push(() => client.close());
    await expect(client.call("agent.heartbeat", beat("n1"), signal())).rejects.toMatchObject({ code: "ECONNRESET" });
    expect(server.requests()).toBe(1);
    const aborted = AbortSignal.abort();
    await expect(client.call("agent.heartbeat", beat("n1"), aborted)).rejects.toMatchObject({ name: "AbortError" });
    expect(server.requests()).toBe(1);
  });

  it("says what is wrong with an answer that is not tRPC's", () => {
    expect(() => parseAnswer(502, "<html>bad gateway</html>")).toThrow("HTTP 502: the API answered with something other than JSON: <html>bad gateway</html>");
    expect(() => parseAnswer(200, "{}")).toThrow("HTTP 200: the API's answer has neither result nor error");
    expect(() => parseAnswer(500, JSON.stringify({ error: { message: "boom" } }))).toThrow(new ApiError("INTERNAL_SERVER_ERROR", "boom", 500));
  });
});
