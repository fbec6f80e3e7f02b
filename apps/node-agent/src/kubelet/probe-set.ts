import { containerStarted, initialProbeState, nextProbeState, probeActive, probeConsequences, probeDue } from "@kube9/core";
import type { ContainerEvent, ContainerPort, ContainerSpec, ProbeKind, ProbeSpec, ProbeState } from "@kube9/core";
import { runProbe, type ProbeAction, type ProbeResult } from "../containers/probes.js";
import type { ExecContext } from "../containers/process-container.js";

// The probes of one run of one container: which are due, their accounting through core's rules,
// and what a result leads to. A new run gets a new set, so no outcome of an old run leaks into it.

/** Options of a {@link ProbeSet}. */
export interface ProbeSetOptions {
  spec: ContainerSpec;
  /** The run the probes belong to (exec probes run in it). */
  container: ExecContext;
  /** How an exec probe's command is run with the image's programs. */
  execArgv?: (command: string[]) => string[];
  /** The pod's own network, where httpGet and tcpSocket probes must run from inside. */
  network?: { podIP: string; netns: string; busybox: string | undefined };
  /** Epoch ms the run started. */
  startedAt: number;
  /** A probe finished (its result may have changed ready/started). */
  onResult: () => void;
  /** A liveness or startup probe failed for good: the run must be stopped (the policy restarts it). */
  onKill: () => void;
  /** What a probe result is worth telling (Unhealthy, Killing), as the kubelet records it. */
  onEvent?: (event: ContainerEvent) => void;
}

interface Tracked {
  probe: ProbeSpec;
  state: ProbeState;
  lastAt: number | undefined;
  inFlight: boolean;
}

const KINDS: ProbeKind[] = ["startup", "liveness", "readiness"];

/** A probe's port as a number: numbers pass, names resolve through the container's ports. */
export function resolveProbePort(port: number | string, ports: readonly ContainerPort[]): number | undefined {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  return ports.find((p) => p.name === port)?.containerPort;
}

/** The handler runProbe takes, or why it cannot run (a named port the container does not declare). */
export function probeAction(
  probe: ProbeSpec,
  ports: readonly ContainerPort[],
  execArgv: (command: string[]) => string[] = (c) => c,
): ProbeAction | { error: string } {
  if (probe.exec) return { exec: { command: execArgv(probe.exec.command) } };
  const handler = probe.httpGet ?? probe.tcpSocket;
  if (!handler) return { error: "probe has no handler" };
  const port = resolveProbePort(handler.port, ports);
  if (port === undefined) return { error: `port "${handler.port}" is not a named port of the container` };
  if (probe.httpGet) return { httpGet: { ...probe.httpGet, port } };
  return { tcpSocket: { ...probe.tcpSocket, port } };
}

/** The startup, liveness and readiness probes of one container run. */
export class ProbeSet {
  private readonly tracked = new Map<ProbeKind, Tracked>();
  private killed = false;

  constructor(private readonly opts: ProbeSetOptions) {
    const { spec } = opts;
    const probes: Record<ProbeKind, ProbeSpec | undefined> = {
      startup: spec.startupProbe,
      liveness: spec.livenessProbe,
      readiness: spec.readinessProbe,
    };
    for (const kind of KINDS) {
      const probe = probes[kind];
      if (probe) this.tracked.set(kind, { probe, state: initialProbeState(kind), lastAt: undefined, inFlight: false });
    }
  }

  /** Whether the run has started (its startup probe succeeded, or it has none). */
  get started(): boolean {
    return containerStarted(this.opts.spec, this.tracked.get("startup")?.state);
  }

  /** The accounting of one probe, if the container has it. */
  state(kind: ProbeKind): ProbeState | undefined {
    return this.tracked.get(kind)?.state;
  }

  /** Starts every probe that is active and due; a probe still running is not started twice. */
  tick(now: number): void {
    if (this.killed) return;
    const started = this.started;
    for (const [kind, t] of this.tracked) {
      if (t.inFlight || !probeActive(kind, started) || !probeDue(t.probe, this.opts.startedAt, t.lastAt, now)) continue;
      t.lastAt = now;
      t.inFlight = true;
      void this.run(t.probe).then((result) => {
        t.inFlight = false;
        this.record(kind, t, result);
      });
    }
  }

  private run(probe: ProbeSpec): Promise<ProbeResult> {
    const action = probeAction(probe, this.opts.spec.ports, this.opts.execArgv);
    if ("error" in action) return Promise.resolve({ ok: false, message: action.error });
    const net = this.opts.network;
    const inPod = net ? { podIP: net.podIP, netns: net.netns, ...(net.busybox ? { busybox: net.busybox } : {}) } : {};
    return runProbe(action, { timeoutSeconds: probe.timeoutSeconds, container: this.opts.container, ...inPod });
  }

  private record(kind: ProbeKind, t: Tracked, result: ProbeResult): void {
    // A probe that finishes after its run was killed says nothing about the next run.
    if (this.killed) return;
    const before = t.state;
    t.state = nextProbeState(before, result.ok, t.probe);
    const { kill, events } = probeConsequences(kind, this.opts.spec.name, result.ok, result.message, before, t.state);
    for (const event of events) this.opts.onEvent?.(event);
    if (kill) {
      this.killed = true;
      this.opts.onKill();
    }
    this.opts.onResult();
  }
}
