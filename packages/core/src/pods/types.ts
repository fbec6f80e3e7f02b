// Pods as Kubernetes shapes them (core/v1 Pod), restricted to the fields Kube-9 implements. Quantities
// stay Kubernetes strings in manifests; the normalized spec below holds millicores and MiB.

/** Restart policy of a pod (applies to all its containers), as in Kubernetes. */
export const RESTART_POLICIES = ["Always", "OnFailure", "Never"] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

/** The images every node carries (there is no registry). */
export const BUILTIN_IMAGES = ["busybox", "kube9/workload"] as const;
export type BuiltinImage = (typeof BUILTIN_IMAGES)[number];

/** CPU in millicores and memory in MiB; either may be absent (not requested / no limit). */
export interface ResourceAmounts {
  cpuMilli?: number;
  memoryMiB?: number;
}

/** One probe handler and its timing, with Kubernetes' defaults filled in. */
export interface ProbeSpec {
  /** Exactly one handler is set. */
  exec?: { command: string[] };
  httpGet?: { path: string; port: number | string; host?: string; scheme: "HTTP" };
  tcpSocket?: { port: number | string; host?: string };
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  successThreshold: number;
}

/** Which of a container's probes: startup gates the other two until it first succeeds. */
export type ProbeKind = "liveness" | "readiness" | "startup";

/** Kubernetes' probe defaults. */
export const PROBE_DEFAULTS = Object.freeze({
  initialDelaySeconds: 0,
  periodSeconds: 10,
  timeoutSeconds: 1,
  failureThreshold: 3,
  successThreshold: 1,
});

export interface ContainerPort {
  containerPort: number;
  name?: string;
  protocol: "TCP";
}

export interface EnvVar {
  name: string;
  value: string;
}

/** One container of a pod, normalized (requests default to limits, as in Kubernetes). */
export interface ContainerSpec {
  name: string;
  image: string;
  command: string[];
  args: string[];
  env: EnvVar[];
  ports: ContainerPort[];
  requests: ResourceAmounts;
  limits: ResourceAmounts;
  livenessProbe?: ProbeSpec;
  readinessProbe?: ProbeSpec;
  startupProbe?: ProbeSpec;
}

/** What a node needs to run a pod, normalized. */
export interface PodSpec {
  containers: ContainerSpec[];
  restartPolicy: RestartPolicy;
  terminationGracePeriodSeconds: number;
  nodeSelector: Record<string, string>;
}

/** Kubernetes' pod default grace period. */
export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;

// ---------------------------------------------------------------- status (Kubernetes field names)

export interface ContainerStateWaiting {
  waiting: { reason: string; message?: string };
}
export interface ContainerStateRunning {
  running: { startedAt: string };
}
export interface ContainerStateTerminated {
  terminated: { exitCode: number; signal?: number; reason: string; message?: string; startedAt?: string; finishedAt: string };
}
/** Exactly one of waiting, running, terminated. */
export type ContainerState = ContainerStateWaiting | ContainerStateRunning | ContainerStateTerminated;

export interface ContainerStatus {
  name: string;
  image: string;
  state: ContainerState;
  lastState: ContainerState | Record<string, never>;
  ready: boolean;
  started: boolean;
  restartCount: number;
}

export const POD_PHASES = ["Pending", "Running", "Succeeded", "Failed", "Unknown"] as const;
export type PodPhase = (typeof POD_PHASES)[number];

export const POD_CONDITION_TYPES = ["PodScheduled", "Initialized", "ContainersReady", "Ready"] as const;
export type PodConditionType = (typeof POD_CONDITION_TYPES)[number];

export interface PodCondition {
  type: PodConditionType;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastTransitionTime: string;
}
