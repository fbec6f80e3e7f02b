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

/** A client for the agent procedures of one API, with a single kept-alive connection. */
export class AgentApiClient {
  private readonly base: URL;
  private readonly agent: HttpAgent;
  private readonly request: typeof httpRequest;
  private readonly auth: string;

  constructor(opts: { url: string; token: string }) {
    this.base = new URL(opts.url.replace(/\/+$/, "") + "/trpc/");
    const https = this.base.protocol === "https:";
    // One socket: beats are sequential, and a second connection would only cost the API another parse state.
    this.agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 1 }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
    this.request = https ? (httpsRequest as typeof httpRequest) : httpRequest;
    this.auth = `Bearer ${opts.token}`;
  }

  /** Calls a procedure; rejects with ApiError for an error answer, or the network error (aborts included). */
  async call<P extends keyof AgentProcedures>(path: P, input: AgentProcedures[P]["input"], signal: AbortSignal): Promise<AgentProcedures[P]["output"]> {
    const body = JSON.stringify(input);
    try {
      return (await this.post(path, body, signal)) as AgentProcedures[P]["output"];
    } catch (err) {
      // The API closed an idle kept-alive connection just as this request went out: nothing was
      // processed, so sending it again on a fresh connection is safe.
      if ((err as { reusedSocket?: boolean }).reusedSocket && !signal.aborted) return (await this.post(path, body, signal)) as AgentProcedures[P]["output"];
      throw err;
    }
  }

  /** Closes the kept-alive connection (the agent is done with the API). */
  close(): void {
    this.agent.destroy();
  }

  private post(path: string, body: string, signal: AbortSignal): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = this.request(new URL(path, this.base), {
        method: "POST",
        agent: this.agent,
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
