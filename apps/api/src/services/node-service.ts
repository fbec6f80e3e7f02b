import { coresToMilli, isTerminalNodeStatus, NODE_GROUP_LABEL, type Labels, type NodeRole, type RuntimeKind } from "@kube9/core";
import { randomUUID } from "node:crypto";
import { ConflictError, type CreateNodeInput, type NodeRecord } from "@kube9/db";
import type { NodeDTO, PodDTO } from "../dto.js";
import { toPodDTO } from "../dto.js";
import { conflict, DomainError, invalid, notFound, precondition } from "../errors.js";
import type { LeaseBuffer } from "../lease-buffer.js";
import { RuntimeError } from "../runtime/runtime.js";
import { hashToken, newNodeToken, randomSuffix } from "../tokens.js";
import type { NodeAgents } from "./node-agents.js";
import type { NodeStatusService } from "./node-status.js";
import type { ServiceContext } from "./service-context.js";

/** Node memory when the user gives none: 4 GiB per core, like common cloud shapes. */
const DEFAULT_MIB_PER_CORE = 4096;

/** What a user gives to add a node (cores as users speak them). */
export interface AddNodeInput {
  name?: string;
  cpu: number;
  memoryMiB?: number;
  role?: NodeRole;
  labels?: Labels;
  runtime?: RuntimeKind;
  /** The node group it belongs to (the autoscaler's nodes); sets the group label, which nobody else may set. */
  group?: string;
}

/** A node whose agent runs outside the API (a `kube9 hollow` fleet's), as its fleet declares it. */
export interface JoinNodeInput {
  name: string;
  cpu: number;
  memoryMiB?: number;
  role?: NodeRole;
  labels?: Labels;
}

/** What a fleet needs to run a joined node's agent: its id and its own credential. */
export interface JoinedNode {
  name: string;
  nodeId: string;
  token: string;
  /** False when a node of that name (an external one) already existed and got a fresh credential. */
  created: boolean;
}

/** Joins run this many at once: enough to keep the database busy without starving other requests. */
const JOIN_PARALLELISM = 16;

export interface NodeServiceDeps extends ServiceContext {
  leases: LeaseBuffer;
  agents: NodeAgents;
  status: NodeStatusService;
  view: (n: NodeRecord) => NodeDTO;
}

/** Node operations users ask for: add, remove (drain first), fault injection, recovery, runtime preparation. */
export class NodeService {
  constructor(private readonly deps: NodeServiceDeps) {}

  /** Creates a node and starts its agent; rolls the record back if the agent cannot start. */
  async add(input: AddNodeInput): Promise<NodeDTO> {
    const { db, cache, agents, events, now } = this.deps;
    if (input.labels && NODE_GROUP_LABEL in input.labels && !input.group) {
      throw invalid(`labels: ${NODE_GROUP_LABEL} is set by node groups only; make a group with: kube9 nodegroup create`);
    }
    const labels = input.group ? { ...input.labels, [NODE_GROUP_LABEL]: input.group } : (input.labels ?? {});
    const runtimeKind = input.runtime ?? agents.defaultRuntime;
    const runtime = agents.require(runtimeKind);
    // Before any record exists: an engine that is down is the user's to fix, not a half-created node.
    await runtime.check?.();
    const name = input.name ?? `node-${randomSuffix()}`;
    const memoryMiB = input.memoryMiB ?? Math.round(input.cpu * DEFAULT_MIB_PER_CORE);
    let node: NodeRecord;
    try {
      node = await db.nodes.create({
        name,
        role: input.role ?? "worker",
        runtime: runtimeKind,
        capacity: { cpuMilli: coresToMilli(input.cpu), memoryMiB },
        labels,
        credentialHash: "",
        now: now(),
      });
    } catch (err) {
      if (err instanceof ConflictError) throw conflict("node", name);
      throw err;
    }
    cache.putNode(node, true);
    try {
      await agents.start(node, runtime, input.memoryMiB !== undefined);
    } catch (err) {
      await db.nodes.delete(node.id);
      cache.dropNode(node.id);
      const message = `could not start node "${name}": ${(err as Error).message}`;
      if (err instanceof RuntimeError) throw new DomainError(err.kind, message, { cause: err });
      throw new Error(message, { cause: err });
    }
    const added = cache.node(node.id) ?? node;
    await events.node("Normal", "NodeAdded", added, `node added: ${input.cpu} CPU, ${memoryMiB} MiB, runtime ${runtimeKind}`);
    return this.deps.view(added);
  }

  /**
   * Records nodes whose agents run elsewhere (runtime `external`) and hands out their credentials. The
   * API never starts, stops or restarts such agents, and no runtime can report them exited: only
   * their heartbeats and their leave say how they are. A name that exists as an external node gets a
   * fresh credential (the fleet restarted); a name of any other node is a conflict.
   */
  async join(inputs: JoinNodeInput[]): Promise<JoinedNode[]> {
    const { db, cache, events, now } = this.deps;
    const out: JoinedNode[] = new Array(inputs.length);
    // The NodeAdded events are written in batches meanwhile; a join waits for its rows, not for each event.
    const told: Promise<void>[] = [];
    // New names go in with one INSERT (ids and credentials made here); a name that exists already, or
    // that another process took meanwhile, is skipped by it and handled alone below.
    const fresh: Array<{ at: number; token: string; cpu: number; row: CreateNodeInput & { id: string } }> = [];
    const names = new Set<string>();
    const t = now();
    for (const [at, input] of inputs.entries()) {
      if (input.labels && NODE_GROUP_LABEL in input.labels) throw invalid(`nodes[${at}].labels: ${NODE_GROUP_LABEL} is set by node groups only`);
      if (names.has(input.name)) throw invalid(`nodes[${at}].name: "${input.name}" is named twice in this call`);
      names.add(input.name);
      const id = randomUUID();
      const token = newNodeToken(id);
      const memoryMiB = input.memoryMiB ?? Math.round(input.cpu * DEFAULT_MIB_PER_CORE);
      const row = {
        id,
        name: input.name,
        role: input.role ?? "worker",
        runtime: "external" as const,
        capacity: { cpuMilli: coresToMilli(input.cpu), memoryMiB },
        labels: input.labels ?? {},
        credentialHash: hashToken(token),
        now: t,
      };
      fresh.push({ at, token, cpu: input.cpu, row });
    }
    const created = new Map((await db.nodes.createMany(fresh.map((f) => f.row))).map((n) => [n.id, n]));
    const rest: number[] = [];
    for (const f of fresh) {
      const node = created.get(f.row.id);
      if (!node) {
        rest.push(f.at);
        continue;
      }
      cache.putNode(node, true);
      out[f.at] = { name: node.name, nodeId: node.id, token: f.token, created: true };
      told.push(events.node("Normal", "NodeAdded", node, `node joined: ${f.cpu} CPU, ${node.capacity.memoryMiB} MiB, agent external`));
    }
    let next = 0;
    const worker = async () => {
      while (next < rest.length) {
        const at = rest[next++]!;
        out[at] = await this.joinOne(inputs[at]!, told);
      }
    };
    await Promise.all(Array.from({ length: Math.min(JOIN_PARALLELISM, rest.length) }, worker));
    await Promise.all(told);
    return out;
  }

  private async joinOne(input: JoinNodeInput, told: Promise<void>[]): Promise<JoinedNode> {
    const { db, cache, agents, events, now } = this.deps;
    const existing = await cache.findNode(input.name);
    if (existing) {
      if (existing.runtime !== "external") throw conflict("node", input.name);
      if (isTerminalNodeStatus(existing.status)) throw precondition(`node "${input.name}" is ${existing.status}; remove it before joining it again`);
      return { name: existing.name, nodeId: existing.id, token: await agents.issueCredential(existing), created: false };
    }
    if (input.labels && NODE_GROUP_LABEL in input.labels) throw invalid(`labels: ${NODE_GROUP_LABEL} is set by node groups only`);
    const memoryMiB = input.memoryMiB ?? Math.round(input.cpu * DEFAULT_MIB_PER_CORE);
    let node: NodeRecord;
    try {
      node = await db.nodes.create({
        name: input.name,
        role: input.role ?? "worker",
        runtime: "external",
        capacity: { cpuMilli: coresToMilli(input.cpu), memoryMiB },
        labels: input.labels ?? {},
        credentialHash: "",
        now: now(),
      });
    } catch (err) {
      if (err instanceof ConflictError) throw conflict("node", input.name);
      throw err;
    }
    cache.putNode(node, true);
    const token = await agents.issueCredential(node);
    told.push(events.node("Normal", "NodeAdded", cache.node(node.id) ?? node, `node joined: ${input.cpu} CPU, ${memoryMiB} MiB, agent external`));
    return { name: node.name, nodeId: node.id, token, created: true };
  }

  /** Whether a runtime can start agents now and whether it must prepare first (the CLI shows progress then). */
  async runtimeStatus(kind?: RuntimeKind) {
    const runtimeKind = kind ?? this.deps.agents.defaultRuntime;
    const runtime = this.deps.agents.runtime(runtimeKind);
    if (!runtime) return { runtime: runtimeKind, available: false, message: `runtime "${runtimeKind}" is not available on this API`, imageReady: true };
    const status = runtime.status ? await runtime.status() : { available: true };
    return { runtime: runtimeKind, imageReady: true, ...status };
  }

  /** Prepares a runtime for its first node (the docker runtime builds the node image when missing). */
  async prepareRuntime(kind?: RuntimeKind) {
    const runtimeKind = kind ?? this.deps.agents.defaultRuntime;
    const runtime = this.deps.agents.runtime(runtimeKind);
    if (!runtime) throw precondition(`runtime "${runtimeKind}" is not available on this API`);
    if (!runtime.prepare) return { runtime: runtimeKind, image: null, built: false, durationMs: 0, sizeBytes: 0 };
    await runtime.check?.();
    return { runtime: runtimeKind, ...(await runtime.prepare()) };
  }

  /** Drains a node (its pods are rescheduled first, with the status change: one transaction), stops its agent and deletes it. */
  async remove(name: string, reason = "removed by user"): Promise<{ node: NodeDTO; movedPods: PodDTO[] }> {
    const { now } = this.deps;
    const node = await this.byName(name);
    const done = await this.deps.status.transitionAndEvict(node, "Removed", { reason, now: now() }, "NodeRemoved", `node ${name} is being removed`);
    if (!done) throw precondition(`node "${name}" changed while removing it; try again`);
    await this.finishRemoval(done.node, done.evicted.length);
    const moved = done.evicted.map((p) => this.deps.cache.pod(p.id)).filter((p) => p !== undefined);
    return { node: this.deps.view(done.node), movedPods: moved.map(toPodDTO) };
  }

  /**
   * The rest of a removal once the node is Removed and empty: its agent stopped, its row deleted. The
   * node-lifecycle controller calls it too, for a node whose removal was interrupted (level-triggered).
   */
  async finishRemoval(removed: NodeRecord, moved: number): Promise<void> {
    const { db, cache, agents, events } = this.deps;
    await agents.stop(removed, true);
    await db.nodes.delete(removed.id);
    cache.dropNode(removed.id);
    this.deps.leases.forget(removed.id);
    await events.node("Normal", "NodeRemoved", removed, `node removed (${removed.statusReason ?? "removed"}); ${moved} pod(s) moved`);
  }

  /** Fault injection: kill the agent abruptly, or freeze it so heartbeats stop. */
  async fail(name: string, mode: "kill" | "pause"): Promise<NodeDTO> {
    const { agents, cache, events } = this.deps;
    const node = await this.byName(name);
    if (!agents.runtime(node.runtime) || !agents.has(node)) {
      throw precondition(`node "${name}" has no running agent (status ${node.status})`);
    }
    if (agents.isPaused(node.id)) throw precondition(`node "${name}" is already paused; use "node recover"`);
    await events.node("Warning", "NodeFaultInjected", node, `fault injected: ${mode}`);
    if (mode === "pause") await agents.pause(node);
    else await agents.kill(node);
    return this.deps.view(cache.node(node.id) ?? node);
  }

  /** Brings a node back: unfreezes a paused agent, or restarts a failed one with a fresh credential. */
  async recover(name: string): Promise<NodeDTO> {
    const { agents, events, status, now } = this.deps;
    const node = await this.byName(name);
    const runtime = agents.require(node.runtime);
    if (await agents.resume(node)) {
      await events.node("Normal", "NodeResumed", node, "paused agent resumed");
      return this.deps.view(node);
    }
    if (node.status === "Ready" || node.status === "Cordoned") {
      throw precondition(`node "${name}" is ${node.status}; there is nothing to recover`);
    }
    const recovering = await status.transition(node.id, "Recovering", {
      from: [node.status],
      reason: "manual recovery",
      now: now(),
      recoveryAttempts: 0,
    });
    if (!recovering) throw precondition(`node "${name}" changed while recovering it; try again`);
    await events.node("Normal", "NodeRecovering", recovering, "manual recovery: restarting the agent");
    await agents.start(recovering, runtime, true);
    return this.deps.view(recovering);
  }

  private async byName(name: string): Promise<NodeRecord> {
    const node = await this.deps.cache.findNode(name);
    if (!node) throw notFound("node", name);
    return node;
  }
}
