import { DomainError } from "../errors.js";
import type { RuntimeKind } from "@kube9/core";

/** What a runtime needs to start one node's agent. */
export interface AgentSpec {
  nodeId: string;
  name: string;
  cpuMilli: number;
  memoryMiB: number;
  /** Whether the user gave the memory size (limits are set only then). */
  memoryGiven: boolean;
  /** Where the agent reaches the API: every live API process of the cluster, comma-separated, this one first. */
  apiUrl: string;
  token: string;
}

/** How an agent ended, as the runtime saw it. */
export interface AgentExit {
  nodeId: string;
  description: string;
}

/** Where node agents run: child processes, containers or in-process simulations (docs/architecture.md, "Runtimes"). */
export interface NodeRuntime {
  readonly kind: RuntimeKind;
  /** Starts the agent; returns a handle to show users (pid or container id). */
  start(spec: AgentSpec): Promise<string>;
  /** Stops and removes the agent; graceful lets it say goodbye first. */
  stop(nodeId: string, graceful: boolean): Promise<void>;
  /** Kills the agent abruptly (fault injection). */
  kill(nodeId: string): Promise<void>;
  /** Freezes the agent: it exists but sends nothing. */
  pause(nodeId: string): Promise<void>;
  /** Unfreezes a paused agent. */
  resume(nodeId: string): Promise<void>;
  /** Whether the runtime has a live agent for the node. */
  has(nodeId: string): boolean;
  /** Optional: whether an agent for the node runs on this machine, whoever started it (false: none does). */
  runsHere?(nodeId: string): boolean;
  /** Called when an agent ends without being asked to. */
  onUnexpectedExit(listener: (exit: AgentExit) => void): void;
  /**
   * Stops every agent this runtime started, and (the last API process of the cluster stopping) those of
   * `nodeIds`, this runtime's nodes of the cluster, that other API processes started and let go of.
   */
  stopAll(nodeIds?: readonly string[]): Promise<void>;
  /**
   * Optional: lets go of every agent without stopping it, because another API process serves the cluster
   * (node agents belong to the cluster, not to the API process that started them). Nothing starts afterwards.
   */
  release?(): Promise<void>;
  /** Optional: fails (RuntimeError) when the runtime cannot start agents now, e.g. its engine is down. */
  check?(): Promise<void>;
  /** Optional: readiness for the CLI (e.g. whether the node image must be built first). */
  status?(): Promise<{ available: boolean; message?: string; image?: string; imageReady?: boolean }>;
  /** Optional: one-time preparation before the first agent (e.g. building the node image). */
  prepare?(): Promise<{ image: string; built: boolean; durationMs: number; sizeBytes: number }>;
}

/** A runtime failure the user can act on (engine down, name taken, size refused): a domain error, not an internal one. */
export class RuntimeError extends DomainError {
  constructor(kind: "precondition" | "conflict" | "invalid", message: string) {
    super(kind, message);
    this.name = "RuntimeError";
  }
}
