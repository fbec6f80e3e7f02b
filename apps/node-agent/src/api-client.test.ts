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
async function countingServer(
  onRequest?: (req: IncomingMessage, n: number) => boolean,
): Promise<{ url: string; connections: () => number; requests: () => number; close: () => Promise<void> }> {
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
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closed;
  };
  cleanups.push(close);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections, requests: () => requests, close };
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

  it("with several API addresses, a call that cannot reach one goes to the next at once, which is tried first from then on", async () => {
    const one = await countingServer();
    const two = await countingServer();
    const client = new AgentApiClient({ url: `${one.url}, ${two.url}`, token: "t" });
    cleanups.push(() => client.close());
    expect(client.urls).toEqual([one.url, two.url]);
    await client.call("agent.heartbeat", beat("n1"), signal());
    expect([one.requests(), two.requests()]).toEqual([1, 0]);
    await one.close(); // that API process stops: refused from now on
    expect(await client.call("agent.heartbeat", beat("n1"), signal())).toEqual({ n: 1, path: "/trpc/agent.heartbeat" });
    expect(client.urls).toEqual([two.url, one.url]);
    await client.call("agent.heartbeat", beat("n1"), signal());
    expect(two.requests()).toBe(2);
    // None answers: the last address's error.
    await two.close();
    await expect(client.call("agent.heartbeat", beat("n1"), signal())).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("learns the other API addresses (from heartbeat answers) and fails over to them; an unavailable API sends the next call elsewhere", async () => {
    const one = await countingServer((_req, n) => n !== 2);
    const two = await countingServer();
    const client = new AgentApiClient({ url: one.url, token: "t" });
    cleanups.push(() => client.close());
    client.learn([`${one.url}/`, two.url, "not a url"]);
    expect(client.urls).toEqual([one.url, two.url]);
    await one.close();
    expect(await client.call("agent.heartbeat", beat("n1"), signal())).toEqual({ n: 1, path: "/trpc/agent.heartbeat" });

    // An API process that answers but cannot serve (its database is down): the next call goes to the other.
    const healthy = await countingServer();
    const down = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "database unavailable, retrying", data: { code: "SERVICE_UNAVAILABLE" } } }));
      });
    });
    await new Promise<void>((resolve) => down.listen(0, "127.0.0.1", () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => (down.close(() => resolve()), down.closeAllConnections())));
    const downUrl = `http://127.0.0.1:${(down.address() as AddressInfo).port}`;
    const c2 = new AgentApiClient({ url: `${downUrl},${healthy.url}`, token: "t" });
    cleanups.push(() => c2.close());
    await expect(c2.call("agent.heartbeat", beat("n1"), signal())).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE", httpStatus: 503 });
    expect(await c2.call("agent.heartbeat", beat("n1"), signal())).toEqual({ n: 1, path: "/trpc/agent.heartbeat" });
  });

  it("says what is wrong with an answer that is not tRPC's", () => {
    expect(() => parseAnswer(502, "<html>bad gateway</html>")).toThrow("HTTP 502: the API answered with something other than JSON: <html>bad gateway</html>");
    expect(() => parseAnswer(200, "{}")).toThrow("HTTP 200: the API's answer has neither result nor error");
    expect(() => parseAnswer(500, JSON.stringify({ error: { message: "boom" } }))).toThrow(new ApiError("INTERNAL_SERVER_ERROR", "boom", 500));
  });
});
