// Pods and nodes as the API returns them, for the kubectl-view tests: a running one-container pod by
// default, with helpers for the container states the STATUS column reads.
import type { ContainerStatus, PodSpec } from "@kube9/client";
import type { NodeDTO, PodDTO } from "../src/types.js";

export const NOW = Date.parse("2025-01-01T12:00:00Z");
export const ago = (ms: number) => new Date(NOW - ms).toISOString();

/** A one-container spec (busybox sleep, 250m / 64Mi limits). */
export function spec(over: Partial<PodSpec> = {}, names: string[] = ["main"]): PodSpec {
  return {
    containers: names.map((name) => ({
      name,
      image: "busybox",
      command: ["sleep", "3600"],
      args: [],
      env: [],
      ports: [],
      requests: { cpuMilli: 250, memoryMiB: 64 },
      limits: { cpuMilli: 250, memoryMiB: 64 },
    })),
    restartPolicy: "Always",
    terminationGracePeriodSeconds: 30,
    nodeSelector: {},
    ...over,
  };
}

/** A container status: running and ready unless `state` says otherwise. */
export function cs(name: string, over: Partial<ContainerStatus> = {}): ContainerStatus {
  return {
    name,
    image: "busybox",
    state: { running: { startedAt: ago(60_000) } },
    lastState: {},
    ready: true,
    started: true,
    restartCount: 0,
    ...over,
  };
}

/** A Running pod of one ready container on node-a. */
export function pod(over: Partial<PodDTO> = {}): PodDTO {
  return {
    id: "3f2c0000-0000-4000-8000-00000000000a",
    name: "web",
    namespace: "default",
    status: "Running",
    nodeId: "n1",
    nodeName: "node-a",
    request: { cpuMilli: 250, memoryMiB: 64 },
    algorithm: "best-fit",
    labels: { app: "web" },
    nodeSelector: {},
    reason: null,
    message: "best-fit chose node-a",
    restarts: 0,
    createdAt: ago(5_000),
    scheduledAt: ago(5_000),
    startedAt: ago(4_000),
    spec: spec(),
    phase: "Running",
    podIP: "10.9.0.5",
    containerStatuses: [cs("main")],
    conditions: [{ type: "Ready", status: "True", lastTransitionTime: ago(3_000) }],
    enforcement: { main: { cpu: "cgroup-v2", memory: "agent" } },
    ...over,
  };
}

/** A Ready 4-core worker. */
export function node(over: Partial<NodeDTO> = {}): NodeDTO {
  return {
    id: "3f2c0000-0000-4000-8000-000000000001",
    name: "node-a",
    role: "worker",
    status: "Ready",
    reason: null,
    capacity: { cpuMilli: 4000, memoryMiB: 16384 },
    allocated: { cpuMilli: 250, memoryMiB: 64 },
    podIds: ["p1"],
    lastHeartbeatAt: ago(2_000),
    labels: { zone: "a" },
    runtime: "process",
    containerId: "pid-1",
    recoveryAttempts: 0,
    usage: null,
    components: {},
    createdAt: ago(120_000),
    ...over,
  };
}
