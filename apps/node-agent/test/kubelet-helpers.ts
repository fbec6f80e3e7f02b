import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerSpec, PodAssignment, PodEventReport, PodSpec, PodStatusReport, ProbeSpec } from "@kube9/core";
import { NodeAgent, type NodeAgentOptions } from "../src/agent.js";
import { captureLog, FakeApi, until, type FakeNode } from "./fake-api.js";

/** A pod of busybox containers (named "main" unless given), with fast test defaults. */
export function podOf(prefix: string, containers: Array<Partial<ContainerSpec>>, spec: Partial<PodSpec> = {}): PodAssignment {
  return {
    id: randomUUID(),
    // Unique, so leftover processes of this pod can be found by their POD_NAME.
    name: `${prefix}-${randomBytes(4).toString("hex")}`,
    namespace: "default",
    spec: {
      containers: containers.map((c) => ({
        name: "main",
        image: "busybox",
        command: [],
        args: [],
        env: [],
        ports: [],
        requests: {},
        limits: {},
        ...c,
      })),
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 1,
      nodeSelector: {},
      ...spec,
    },
  };
}

/** An exec probe run every second that acts on the first outcome. */
export function execProbe(command: string[], extra: Partial<ProbeSpec> = {}): ProbeSpec {
  return { exec: { command }, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 1, successThreshold: 1, ...extra };
}

/** Pids of live processes whose environment says they belong to the pod named `podName`. */
export function processesOfPod(podName: string): number[] {
  const needle = `POD_NAME=${podName}\0`;
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "latin1").includes(needle)) out.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** One node agent with a kubelet against a fake API, and everything a test needs to look at it. */
export interface KubeletRig {
  api: FakeApi;
  nodeId: string;
  agent: NodeAgent;
  logDir: string;
  lines: string[];
  /** The latest status the node reported for a pod. */
  status(podId: string): PodStatusReport | undefined;
  /** The events the node reported for a pod (in heartbeats that succeeded), oldest first. */
  events(podId: string): PodEventReport[];
  /** Waits until the latest status of a pod satisfies `check`. */
  waitFor(podId: string, check: (s: PodStatusReport) => boolean, what: string, timeoutMs?: number): Promise<PodStatusReport>;
  /** A request to the node's kubelet server with its token. */
  kubelet(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** The fast back-off the rig's fake API sends unless told otherwise. */
export const FAST_BACKOFF = Object.freeze({ backoffInitialMs: 200, backoffMaxMs: 1600, backoffResetMs: 60_000 });

/** Starts a fake API and a registered agent (cgroups off unless asked, fast back-off from the API). */
export async function startRig(extra: Partial<NodeAgentOptions> = {}, nodeExtra: Partial<FakeNode> = {}): Promise<KubeletRig> {
  const api = await new FakeApi().listen(0);
  const nodeId = randomUUID();
  const node = api.addNode(nodeId, { heartbeatIntervalMs: 100, kubeletSettings: { ...FAST_BACKOFF }, ...nodeExtra });
  const logDir = mkdtempSync(join(tmpdir(), "kube9-kubelet-test-"));
  const { lines, log } = captureLog();
  const agent = new NodeAgent({
    url: api.url,
    nodeId,
    token: node.token,
    log,
    ...extra,
    kubelet: { podLogDir: logDir, cgroups: "off", probeTickMs: 50, ...extra.kubelet },
  });
  await agent.start();
  const status = (podId: string) => node.statuses.get(podId);
  return {
    api,
    nodeId,
    agent,
    logDir,
    lines,
    status,
    events: (podId) => node.events.filter((e) => e.podId === podId),
    async waitFor(podId, check, what, timeoutMs = 10_000) {
      await until(() => {
        const s = status(podId);
        return s !== undefined && check(s);
      }, timeoutMs, what);
      return status(podId)!;
    },
    kubelet(path, init = {}) {
      const endpoint = node.kubelet!;
      return fetch(`${endpoint.url}${path}`, { ...init, headers: { authorization: `Bearer ${endpoint.token}`, ...init.headers } });
    },
    async close() {
      await agent.stop({ leave: false });
      await api.close();
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}
