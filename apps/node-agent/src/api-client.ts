import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { RouterInputs, RouterOutputs } from "@kube9/client";

// The agent's own client for its three procedures. It speaks tRPC's HTTP wire format (POST
// /trpc/<path>, the input as the JSON body, `{result:{data}}` or `{error:{message,data:{code}}}` back)
// over node:http with one kept-alive connection. The general client (fetch, batching, web streams)
// cost an idle agent more CPU and memory per beat than everything else it does; see
// docs/architecture.md, "Heartbeats".

/** The procedures an agent calls, with their inputs and answers as the API's router types them. */
export interface AgentProcedures {
  "agent.register": { input: RouterInputs["agent"]["register"]; output: RouterOutputs["agent"]["register"] };
  "agent.heartbeat": { input: RouterInputs["agent"]["heartbeat"]; output: RouterOutputs["agent"]["heartbeat"] };
  "agent.leave": { input: RouterInputs["agent"]["leave"]; output: RouterOutputs["agent"]["leave"] };
}

/** An answer the API gave as an error: its tRPC code (e.g. "UNAUTHORIZED") and message. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Largest answer body accepted: a heartbeat answer carries pod specs, bounded well below this by the API's limits. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** One API address with its own kept-alive connection. */
interface Target {
  url: string;
  base: URL;
  agent: HttpAgent;
  request: typeof httpRequest;
}

/** The API addresses in a KUBE9_URL value: one URL, or several separated by commas (any API process of the cluster). */
export function splitApiUrls(value: string): string[] {
  return value
    .split(",")
    .map((u) => u.trim())
    .filter((u) => u !== "");
}

/**
 * A client for the agent procedures, with a single kept-alive connection per API address. Any API
 * process of the cluster can serve a node, so the client takes several addresses: a call that cannot
 * reach one (refused, reset, unreachable) is sent to the next at once, and a timeout or an API that
 * answers "unavailable" makes the next call start at the next one. The one that answered last is
 * tried first. Addresses the API announces (its peers) are added with learn().
 */
export class AgentApiClient {
  private readonly targets: Target[] = [];
  private current = 0;
  private readonly auth: string;

  constructor(opts: { url: string; token: string }) {
    for (const url of splitApiUrls(opts.url)) this.add(url);
    if (this.targets.length === 0) throw new Error("no API address given");
    this.auth = `Bearer ${opts.token}`;
  }

  /** The addresses tried, in order, from the one in use. */
  get urls(): string[] {
    return this.targets.map((_, i) => this.targets[(this.current + i) % this.targets.length]!.url);
  }

  /** Adds API addresses learned from an answer (the cluster's other API processes); known ones are kept. */
  learn(urls: readonly string[]): void {
    for (const url of urls) {
      try {
        if (!this.targets.some((t) => sameUrl(t.url, url))) this.add(url);
      } catch {
        // Not a usable URL: ignore it rather than stop beating.
      }
    }
  }

  /** Calls a procedure; rejects with ApiError for an error answer, or the network error (aborts included) of the last address tried. */
  async call<P extends keyof AgentProcedures>(path: P, input: AgentProcedures[P]["input"], signal: AbortSignal): Promise<AgentProcedures[P]["output"]> {
    const body = JSON.stringify(input);
    let lastError: unknown;
    for (let tried = 0; tried < this.targets.length; tried++) {
      const index = (this.current + tried) % this.targets.length;
      const target = this.targets[index]!;
      try {
        const answer = (await this.send(target, path, body, signal)) as AgentProcedures[P]["output"];
        this.current = index;
        return answer;
      } catch (err) {
        lastError = err;
        const unavailable = err instanceof ApiError && err.httpStatus >= 500;
        if (signal.aborted || unavailable) {
          // Timed out or the API cannot serve now: the next call starts at the next address.
          this.current = (index + 1) % this.targets.length;
          throw err;
        }
        if (err instanceof ApiError || !isConnectionError(err)) throw err;
      }
    }
    throw lastError;
  }

  /** Closes the kept-alive connections (the agent is done with the API). */
  close(): void {
    for (const t of this.targets) t.agent.destroy();
  }

  private add(url: string): void {
    const base = new URL(url.replace(/\/+$/, "") + "/trpc/");
    const https = base.protocol === "https:";
    this.targets.push({
      url,
      base,
      // One socket: beats are sequential, and a second connection would only cost the API another parse state.
      agent: https ? new HttpsAgent({ keepAlive: true, maxSockets: 1 }) : new HttpAgent({ keepAlive: true, maxSockets: 1 }),
      request: https ? (httpsRequest as typeof httpRequest) : httpRequest,
    });
  }

  private async send(target: Target, path: string, body: string, signal: AbortSignal): Promise<unknown> {
    try {
      return await this.post(target, path, body, signal);
    } catch (err) {
      // The API closed an idle kept-alive connection just as this request went out: nothing was
      // processed, so sending it again on a fresh connection is safe.
      if ((err as { reusedSocket?: boolean }).reusedSocket && !signal.aborted) return this.post(target, path, body, signal);
      throw err;
    }
  }

  private post(target: Target, path: string, body: string, signal: AbortSignal): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = target.request(new URL(path, target.base), {
        method: "POST",
        agent: target.agent,
        signal,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), authorization: this.auth },
      });
      req.once("error", (err: Error & { reusedSocket?: boolean }) => {
        if (req.reusedSocket && (err as NodeJS.ErrnoException).code === "ECONNRESET") err.reusedSocket = true;
        reject(err);
      });
      req.once("response", (res) => {
        readBody(res).then((text) => {
          try {
            resolve(parseAnswer(res.statusCode ?? 0, text));
          } catch (err) {
            reject(err);
          }
        }, reject);
      });
      req.end(body);
    });
  }
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) res.destroy(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
      else chunks.push(chunk);
    });
    res.once("end", () => resolve(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8")));
    res.once("error", reject);
    res.once("aborted", () => reject(new Error("the API closed the connection mid-answer")));
  });
}

/** The data of a tRPC answer, or the ApiError it carries. */
export function parseAnswer(status: number, text: string): unknown {
  let parsed: { result?: { data?: unknown }; error?: { message?: string; data?: { code?: string } } };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new Error(`HTTP ${status}: the API answered with something other than JSON: ${text.slice(0, 120)}`);
  }
  if (parsed.error) {
    throw new ApiError(parsed.error.data?.code ?? "INTERNAL_SERVER_ERROR", parsed.error.message ?? `HTTP ${status}`, status);
  }
  if (!parsed.result) throw new Error(`HTTP ${status}: the API's answer has neither result nor error`);
  return parsed.result.data;
}

/** Errors that mean the address did not take the request at all, or dropped the connection: another API may serve it. */
function isConnectionError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ECONNREFUSED" || code === "ECONNRESET" || code === "EHOSTUNREACH" || code === "ENETUNREACH" || code === "ENOTFOUND" || code === "EPIPE" || code === "ETIMEDOUT" || code === "EAI_AGAIN";
}

function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
}
