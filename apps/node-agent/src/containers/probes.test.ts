import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Server } from "node:http";
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execInContainer } from "./exec.js";
import { runProbe } from "./probes.js";

const BUSYBOX = "/bin/busybox";
let http: Server;
let httpPort: number;
let tcp: TcpServer;
let tcpPort: number;

/** A port that was free a moment ago (bound, then released). */
async function freePort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  http = createServer((req, res) => {
    if (req.url === "/slow") return void setTimeout(() => res.end("late"), 2_000);
    const status = req.url === "/ok" ? 200 : req.url === "/moved" ? 302 : 500;
    res.writeHead(status, status === 302 ? { location: "/ok" } : {}).end("body");
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  httpPort = (http.address() as AddressInfo).port;
  tcp = createTcpServer((s) => s.destroy());
  await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
  tcpPort = (tcp.address() as AddressInfo).port;
});
afterAll(async () => {
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
  await new Promise((r) => tcp.close(r));
});

describe("runProbe", () => {
  it("httpGet: 200-399 succeed, other statuses and refused connections fail", async () => {
    const get = (path: string, port = httpPort) => runProbe({ httpGet: { path, port } }, { timeoutSeconds: 1 });
    expect(await get("/ok")).toMatchObject({ ok: true });
    expect(await get("/moved")).toMatchObject({ ok: true, message: "HTTP 302" });
    expect(await get("/bad")).toEqual({ ok: false, message: "HTTP probe failed with statuscode: 500" });
    const refused = await get("/ok", await freePort());
    expect(refused.ok).toBe(false);
    expect(refused.message).toMatch(/ECONNREFUSED/);
  });

  it("httpGet: a slow answer fails at the timeout; the pod IP is the default host", async () => {
    const t0 = Date.now();
    const slow = await runProbe({ httpGet: { path: "/slow", port: httpPort } }, { timeoutSeconds: 0.3, podIP: "127.0.0.1" });
    expect(slow.ok).toBe(false);
    expect(slow.message).toMatch(/timeout/);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it("tcpSocket: connects or fails", async () => {
    expect(await runProbe({ tcpSocket: { port: tcpPort } }, { timeoutSeconds: 1 })).toMatchObject({ ok: true });
    const closed = await runProbe({ tcpSocket: { port: await freePort(), host: "127.0.0.1" } }, { timeoutSeconds: 1 });
    expect(closed).toMatchObject({ ok: false });
    expect(closed.message).toMatch(/^dial tcp 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  it("exec: exit 0 succeeds, non-zero fails, with the container's env and output in the message", async () => {
    const container = { env: { READY: "yes" }, procsFiles: [] };
    const ok = await runProbe({ exec: { command: [BUSYBOX, "sh", "-c", 'echo "$READY"'] } }, { timeoutSeconds: 1, container });
    expect(ok).toEqual({ ok: true, message: "yes" });
    const bad = await runProbe({ exec: { command: [BUSYBOX, "sh", "-c", "echo not ready >&2; exit 2"] } }, { timeoutSeconds: 1, container });
    expect(bad).toEqual({ ok: false, message: "command exited with 2: not ready" });
    const missing = await runProbe({ exec: { command: ["no-such-probe-k9"] } }, { timeoutSeconds: 1 });
    expect(missing.ok).toBe(false);
  });

  it("exec: a command running past the timeout fails and is killed with its children", async () => {
    const t0 = Date.now();
    const pidFile = join(tmpdir(), `k9-probe-${process.pid}.pids`);
    const slow = await runProbe({ exec: { command: [BUSYBOX, "sh", "-c", `sleep 30 & echo $$ $! > ${pidFile}; wait`] } }, { timeoutSeconds: 0.3 });
    expect(slow).toEqual({ ok: false, message: "command timed out after 0.3s" });
    expect(Date.now() - t0).toBeLessThan(1_500);
    const pids = readFileSync(pidFile, "utf8").trim().split(" ").map(Number);
    rmSync(pidFile);
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ")).toBe(false);
  });
});

describe("execInContainer", () => {
  it("streams stdout and stderr, passes stdin, and returns the exit code", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const result = await execInContainer({
      argv: [BUSYBOX, "sh", "-c", "cat; echo to-err >&2; exit 7"],
      container: { env: {}, procsFiles: [] },
      stdin: "from-stdin\n",
      onStdout: (c) => out.push(c.toString()),
      onStderr: (c) => err.push(c.toString()),
    });
    expect(result).toEqual({ exitCode: 7, timedOut: false });
    expect(out.join("")).toBe("from-stdin\n");
    expect(err.join("")).toBe("to-err\n");
  });

  it("an abort kills it (137)", async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    const result = await execInContainer({ argv: [BUSYBOX, "sleep", "30"], container: { env: {}, procsFiles: [] }, signal: abort.signal });
    expect(result).toMatchObject({ exitCode: 137, signal: "SIGKILL", timedOut: false });
  });
});
