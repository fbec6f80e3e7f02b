import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { hostname } from "node:os";

/** The name GET / answers with: the pod's name when the agent sets it, else the host's. */
export function podName(env: NodeJS.ProcessEnv = process.env): string {
  return env.POD_NAME?.trim() || env.HOSTNAME?.trim() || hostname();
}

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** Serves the pod's name on /, a health check on /healthz that /unhealthy and /healthy switch. */
export function runHttp(port: number, host: string): void {
  let healthy = true;
  const name = podName();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    console.log(`${req.method} ${req.url} from ${req.socket.remoteAddress ?? "unknown"}`);
    // GET is accepted on the switches too: busybox wget (the probe of choice without curl) only GETs.
    const switching = req.method === "POST" || req.method === "GET";
    if (path === "/" && req.method === "GET") return reply(res, 200, `hello from ${name}\n`);
    if (path === "/healthz" && req.method === "GET") return healthy ? reply(res, 200, "ok\n") : reply(res, 500, "unhealthy\n");
    if ((path === "/unhealthy" || path === "/healthy") && switching) {
      healthy = path === "/healthy";
      console.log(`workload http: now ${healthy ? "healthy" : "unhealthy"}`);
      return reply(res, 200, `${healthy ? "healthy" : "unhealthy"}\n`);
    }
    if (["/", "/healthz", "/unhealthy", "/healthy"].includes(path ?? "")) return reply(res, 405, "method not allowed\n");
    reply(res, 404, "not found\n");
  });
  server.on("error", (err) => {
    console.error(`workload http: cannot listen on ${host}:${port}: ${err.message}`);
    process.exit(1);
  });
  server.listen(port, host, () => {
    console.log(`workload http: serving ${name} on http://${host}:${port}, pid ${process.pid}`);
  });
}
