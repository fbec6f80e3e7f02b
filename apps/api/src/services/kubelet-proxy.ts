import type { KubeletEndpoint } from "@kube9/core";
import type { PodRecord } from "@kube9/db";
import type { ClusterCache } from "../cache/cluster-cache.js";
import { DomainError, notFound, precondition } from "../errors.js";

/** How long the API waits for a kubelet's answer (exec commands get their own, longer limit). */
const KUBELET_TIMEOUT_MS = 5_000;
const EXEC_TIMEOUT_MS = 60_000;

export interface LogsQuery {
  name: string;
  namespace?: string;
  container?: string;
  previous?: boolean;
  tail?: number;
  timestamps?: boolean;
}

/** Where a pod's container runs: its kubelet, and the ids it knows it by. */
interface Target {
  kubelet: KubeletEndpoint;
  pod: PodRecord;
  container: string;
}

/**
 * Logs and exec, as the API server reaches the kubelet: each node's agent serves them on its own
 * loopback port with a bearer token it registered; the API calls it for the pod's node. The Docker
 * socket is never involved.
 */
export class KubeletProxy {
  constructor(private readonly cache: ClusterCache) {}

  /** A container's log lines (the current run, or the previous one). */
  async logs(q: LogsQuery): Promise<{ pod: string; container: string; lines: string[] }> {
    const t = await this.target(q.name, q.container, q.namespace);
    const res = await this.call(t, "logs", logParams(q), { method: "GET" }, KUBELET_TIMEOUT_MS);
    const text = await res.text();
    const lines = text.length === 0 ? [] : text.replace(/\n$/, "").split("\n");
    return { pod: t.pod.name, container: t.container, lines };
  }

  /** Follows a container's log: yields lines until the signal aborts or the container's run ends. */
  async *follow(q: Omit<LogsQuery, "previous">, signal: AbortSignal | undefined): AsyncGenerator<{ line: string }> {
    const t = await this.target(q.name, q.container, q.namespace);
    const params = logParams(q);
    params.set("follow", "1");
    const res = await this.call(t, "logs", params, { method: "GET", signal }, null);
    if (!res.body) return;
    const decoder = new TextDecoder();
    let rest = "";
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        rest += decoder.decode(chunk, { stream: true });
        const parts = rest.split("\n");
        rest = parts.pop() ?? "";
        for (const line of parts) yield { line };
      }
    } catch (err) {
      if (!signal?.aborted) throw err;
    }
    if (rest) yield { line: rest };
  }

  /** Runs a command in a container and returns its output and exit code. */
  async exec(name: string, container: string | undefined, command: string[], namespace?: string): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const t = await this.target(name, container, namespace);
    const res = await this.call(
      t,
      "exec",
      new URLSearchParams(),
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ command }) },
      EXEC_TIMEOUT_MS,
    );
    const out = (await res.json()) as { exitCode?: unknown; stdout?: unknown; stderr?: unknown };
    return { exitCode: Number(out.exitCode ?? 1), stdout: String(out.stdout ?? ""), stderr: String(out.stderr ?? "") };
  }

  /** Asks a node's kubelet to heartbeat now (a pod was bound there or is being deleted), instead of at its next interval. */
  poke(nodeId: string): void {
    const kubelet = this.cache.node(nodeId)?.kubelet;
    if (!kubelet) return;
    // Best effort: the next heartbeat carries the same news anyway.
    void fetch(`${kubelet.url}/sync`, {
      method: "POST",
      headers: { authorization: `Bearer ${kubelet.token}` },
      signal: AbortSignal.timeout(1000),
    })
      .then((res) => res.body?.cancel())
      .catch(() => undefined);
  }

  private async target(name: string, container: string | undefined, namespace = "default"): Promise<Target> {
    const pod = await this.cache.findPod(namespace, name);
    if (!pod) throw notFound("pod", name, namespace);
    const names = pod.spec?.containers.map((c) => c.name) ?? [];
    if (names.length === 0) throw precondition(`pod "${name}" has no containers (it was launched without an image)`);
    if (container === undefined && names.length > 1) {
      throw new DomainError("invalid", `a container name must be specified for pod ${name}, choose one of: [${names.join(" ")}]`);
    }
    const chosen = container ?? names[0]!;
    if (!names.includes(chosen)) throw new DomainError("invalid", `container "${chosen}" is not valid for pod "${name}"`);
    const node = pod.nodeId ? this.cache.node(pod.nodeId) : undefined;
    if (!node || (pod.status !== "Scheduled" && pod.status !== "Running" && pod.status !== "Terminating")) {
      throw precondition(`pod "${name}" is ${pod.status}${node ? "" : " and not on a node"}: its containers are not running anywhere`);
    }
    if (!node.kubelet) throw precondition(`node "${node.name}" does not serve logs or exec (its agent runs no kubelet server)`);
    return { kubelet: node.kubelet, pod, container: chosen };
  }

  private async call(t: Target, what: "logs" | "exec", params: URLSearchParams, init: RequestInit, timeoutMs: number | null): Promise<Response> {
    const url = `${t.kubelet.url}/pods/${t.pod.id}/containers/${encodeURIComponent(t.container)}/${what}?${params}`;
    const signals = [init.signal, timeoutMs === null ? undefined : AbortSignal.timeout(timeoutMs)].filter((s): s is AbortSignal => !!s);
    let res: Response;
    try {
      res = await fetch(url, { ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${t.kubelet.token}` }, signal: AbortSignal.any(signals) });
    } catch (err) {
      throw new DomainError("unavailable", `the kubelet of pod "${t.pod.name}"'s node did not answer (${(err as Error).message})`, { cause: err });
    }
    if (res.ok) return res;
    const text = (await res.text()).trim().slice(0, 500);
    throw new DomainError(res.status === 404 ? "not-found" : "precondition", text || `the kubelet answered ${res.status}`);
  }
}

function logParams(q: Omit<LogsQuery, "name" | "container" | "namespace">): URLSearchParams {
  const p = new URLSearchParams();
  if (q.tail !== undefined) p.set("tail", String(q.tail));
  if (q.previous) p.set("previous", "1");
  if (q.timestamps) p.set("timestamps", "1");
  return p;
}
