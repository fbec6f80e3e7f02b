import { Agent, request } from "node:http";
import type { RouterInputs, RouterOutputs } from "@kube9/client";

/** A refused or failed call: the API's error code (e.g. "NOT_FOUND"), or "NETWORK" when no answer came. */
export class AgentCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "AgentCallError";
  }
}

type Procedures = {
  [R in keyof RouterInputs]: { [P in keyof RouterInputs[R] & keyof RouterOutputs[R] & string]: `${R & string}.${P}` }[keyof RouterInputs[R] & keyof RouterOutputs[R] & string];
}[keyof RouterInputs];
type InputOf<P extends Procedures> = P extends `${infer R}.${infer N}` ? (R extends keyof RouterInputs ? (N extends keyof RouterInputs[R] ? RouterInputs[R][N] : never) : never) : never;
type OutputOf<P extends Procedures> = P extends `${infer R}.${infer N}` ? (R extends keyof RouterOutputs ? (N extends keyof RouterOutputs[R] ? RouterOutputs[R][N] : never) : never) : never;

/**
 * tRPC mutations over plain HTTP with kept-alive connections, for a fleet of thousands of agents in
 * one process: one connection pool for all of them (each call still carries its node's own
 * credential), no per-node client, no request batching across credentials.
 */
export class AgentHttp {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;
  private readonly base: string;

  constructor(url: string, connections: number) {
    const u = new URL(url);
    if (u.protocol !== "http:") throw new Error(`--server: the fleet speaks plain HTTP to a local API, got ${u.protocol}`);
    this.host = u.hostname.replace(/^\[|\]$/g, "");
    this.port = Number(u.port || 80);
    this.base = u.pathname.replace(/\/+$/, "");
    this.agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  }

  /** Calls a mutation with the given bearer token; throws AgentCallError when the API refuses or cannot be reached. */
  mutate<P extends Procedures>(procedure: P, input: InputOf<P>, token: string, timeoutMs = 30_000): Promise<OutputOf<P>> {
    const body = JSON.stringify(input);
    return this.send<OutputOf<P>>(procedure, body, token, timeoutMs, true);
  }

  private send<T>(procedure: string, body: string, token: string, timeoutMs: number, mayRetry: boolean): Promise<T> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent: this.agent,
          host: this.host,
          port: this.port,
          method: "POST",
          path: `${this.base}/trpc/${procedure}`,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), authorization: `Bearer ${token}` },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", (err) => reject(new AgentCallError("NETWORK", err.message)));
          res.on("end", () => {
            let parsed: { result?: { data: unknown }; error?: { message?: string; data?: { code?: string } } };
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
            } catch {
              return reject(new AgentCallError("NETWORK", `HTTP ${res.statusCode}: not a tRPC answer`));
            }
            if (parsed.error) return reject(new AgentCallError(parsed.error.data?.code ?? "INTERNAL_SERVER_ERROR", parsed.error.message ?? "refused"));
            resolve(parsed.result?.data as T);
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on("error", (err: NodeJS.ErrnoException) => {
        // The server closed a kept-alive connection just as we reused it: nothing was processed, send again once.
        if (mayRetry && req.reusedSocket && (err.code === "ECONNRESET" || err.code === "EPIPE")) {
          this.send<T>(procedure, body, token, timeoutMs, false).then(resolve, reject);
          return;
        }
        reject(new AgentCallError("NETWORK", err.message));
      });
      req.end(body);
    });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}
