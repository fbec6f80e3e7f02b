import {
  DEFAULT_GROUP_SETTINGS,
  NODE_GROUP_LABEL,
  nodeGroupToManifest,
  parseNodeGroupManifest,
  validateNodeGroup,
  type NodeGroupSettings,
  type NodeGroupSpec,
  type NodeGroupStatus,
  type NodeTemplate,
  type RuntimeKind,
} from "@kube9/core";
import { ConflictError, type NodeGroupRecord, type NodeRecord } from "@kube9/db";
import { canonicalJson } from "../canonical-json.js";
import { DomainError, invalid } from "../errors.js";
import { randomSuffix } from "../tokens.js";
import type { NodeService } from "./node-service.js";
import type { ServiceContext } from "./service-context.js";

/** A node group as users see it: its spec, its nodes now, and what the autoscaler last did. */
export interface NodeGroupDTO {
  name: string;
  min: number;
  max: number;
  priority: number;
  /** Nodes in the group now (any status but Removed), and how many are Ready. */
  size: number;
  ready: number;
  nodes: Array<{ name: string; status: string }>;
  template: NodeTemplate;
  settings: NodeGroupSettings;
  status: NodeGroupStatus;
  createdAt: number;
}

/** What `kube9 nodegroup create` gives (the rest from the defaults). */
export interface CreateNodeGroupInput {
  name: string;
  min: number;
  max: number;
  cpu: number;
  memoryMiB?: number;
  runtime?: RuntimeKind;
  labels?: Record<string, string>;
  priority?: number;
  settings?: Partial<NodeGroupSettings>;
}

export interface NodeGroupServiceDeps extends ServiceContext {
  nodes: NodeService;
  defaultRuntime: () => RuntimeKind;
  /** Ask the autoscaler for a pass now (a new group reaches its minimum at once). */
  kick: () => void;
}

const MIB_PER_CORE = 4096;
/** Nodes started at once when a group grows. */
const ADD_CONCURRENCY = 8;

/** Node groups: create, change, scale by hand, delete (with their nodes); the autoscaler keeps them between min and max. */
export class NodeGroupService {
  constructor(private readonly deps: NodeGroupServiceDeps) {}

  /** Every group with its nodes. */
  async list(): Promise<NodeGroupDTO[]> {
    return (await this.deps.db.nodeGroups.list()).map((g) => this.view(g));
  }

  /** One group. */
  async get(name: string): Promise<NodeGroupDTO> {
    return this.view(await this.record(name));
  }

  /** The group as a NodeGroup manifest (`-o yaml`; `kube9 apply -f` takes it back). */
  async manifest(name: string): Promise<unknown> {
    return nodeGroupToManifest(await this.record(name));
  }

  /** Creates a group from flags; it reaches its minimum size on the autoscaler's next pass. */
  async create(input: CreateNodeGroupInput): Promise<NodeGroupDTO> {
    const spec: NodeGroupSpec = {
      name: input.name,
      min: input.min,
      max: input.max,
      priority: input.priority ?? 0,
      template: {
        capacity: { cpuMilli: Math.round(input.cpu * 1000), memoryMiB: input.memoryMiB ?? Math.round(input.cpu * MIB_PER_CORE) },
        runtime: input.runtime ?? this.deps.defaultRuntime(),
        labels: { ...(input.labels ?? {}) },
      },
      settings: { ...DEFAULT_GROUP_SETTINGS, ...(input.settings ?? {}) },
    };
    return this.view(await this.insert(spec));
  }

  /** Creates or changes a group from a NodeGroup manifest; answers like kubectl apply. */
  async apply(manifest: unknown): Promise<{ group: NodeGroupDTO; action: "created" | "configured" | "unchanged" }> {
    const parsed = parseNodeGroupManifest(manifest, this.deps.defaultRuntime());
    if (!parsed.ok) throw invalid(parsed.errors.map((e) => e.message).join("; "));
    const spec = parsed.group;
    const old = await this.deps.db.nodeGroups.get(spec.name);
    if (!old) return { group: this.view(await this.insert(spec)), action: "created" };
    const before: NodeGroupSpec = { name: old.name, min: old.min, max: old.max, priority: old.priority, template: old.template, settings: old.settings };
    if (canonicalJson(before) === canonicalJson(spec)) return { group: this.view(old), action: "unchanged" };
    this.check(spec);
    const updated = await this.deps.db.nodeGroups.update(spec, this.deps.now());
    if (!updated) throw new DomainError("not-found", `node group "${spec.name}" was deleted meanwhile`);
    await this.deps.events.cluster("NodeGroupChanged", `node group ${spec.name}: min ${spec.min}, max ${spec.max}, ${describeTemplate(spec.template)}`);
    this.deps.kick();
    return { group: this.view(updated), action: "configured" };
  }

  /** Sets the group's size now (within min and max): adds nodes, or removes the emptiest ones (drained first). */
  async scale(name: string, size: number): Promise<NodeGroupDTO> {
    const g = await this.record(name);
    if (size < g.min || size > g.max) throw invalid(`size: must be within the group's min ${g.min} and max ${g.max}, got ${size}`);
    const nodes = this.nodesOf(g.name);
    if (size > nodes.length) await this.addNodes(g, size - nodes.length);
    else if (size < nodes.length) {
      const emptiest = [...nodes].sort((a, b) => a.allocated.cpuMilli - b.allocated.cpuMilli || b.seq - a.seq).slice(0, nodes.length - size);
      for (const n of emptiest) await this.deps.nodes.remove(n.name, `node group ${g.name} scaled by user to ${size}`);
    }
    await this.deps.events.cluster("NodeGroupScaled", `node group ${g.name} set to ${size} nodes by user (was ${nodes.length})`);
    return this.get(name);
  }

  /** Deletes the group and its nodes (each drained: its pods are rescheduled first). */
  async delete(name: string): Promise<{ name: string; removedNodes: string[] }> {
    const g = await this.record(name);
    const removed: string[] = [];
    for (const n of this.nodesOf(g.name)) {
      await this.deps.nodes.remove(n.name, `node group ${g.name} deleted`);
      removed.push(n.name);
    }
    await this.deps.db.nodeGroups.delete(g.name);
    await this.deps.events.cluster("NodeGroupDeleted", `node group ${g.name} deleted with ${removed.length} node(s)`);
    return { name: g.name, removedNodes: removed };
  }

  /** Adds `count` nodes to the group from its template, a few at a time; returns the names of those that started. */
  async addNodes(g: NodeGroupSpec, count: number): Promise<{ added: string[]; failed: string[] }> {
    const added: string[] = [];
    const failed: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        const name = `${g.name}-${randomSuffix().slice(0, 5)}`;
        try {
          await this.deps.nodes.add({
            name,
            cpu: g.template.capacity.cpuMilli / 1000,
            memoryMiB: g.template.capacity.memoryMiB,
            runtime: g.template.runtime,
            labels: g.template.labels,
            group: g.name,
          });
          added.push(name);
        } catch (err) {
          // A clashing random name is tried again with another; anything else is a failed scale-up.
          if (err instanceof DomainError && err.kind === "conflict") next--;
          else failed.push(`${name}: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(ADD_CONCURRENCY, count) }, worker));
    if (added.length > 0) this.deps.kick();
    return { added, failed };
  }

  /** The group's nodes now (not Removed), oldest first. */
  nodesOf(group: string): NodeRecord[] {
    return this.deps.cache.nodes().filter((n) => n.labels[NODE_GROUP_LABEL] === group && n.status !== "Removed");
  }

  private async insert(spec: NodeGroupSpec): Promise<NodeGroupRecord> {
    this.check(spec);
    let made: NodeGroupRecord;
    try {
      made = await this.deps.db.nodeGroups.create(spec, this.deps.now());
    } catch (err) {
      if (err instanceof ConflictError) throw new DomainError("conflict", `node group "${spec.name}" already exists; change it with kube9 apply -f or kube9 nodegroup scale`);
      throw err;
    }
    await this.deps.events.cluster("NodeGroupCreated", `node group ${spec.name}: min ${spec.min}, max ${spec.max}, ${describeTemplate(spec.template)}`);
    this.deps.kick();
    return made;
  }

  private check(spec: NodeGroupSpec): void {
    const errors = validateNodeGroup(spec);
    if (errors.length > 0) throw invalid(errors.map((e) => e.message).join("; "));
  }

  private async record(name: string): Promise<NodeGroupRecord> {
    const g = await this.deps.db.nodeGroups.get(name);
    if (!g) throw new DomainError("not-found", `node group "${name}" not found; list them with: kube9 nodegroup list`);
    return g;
  }

  private view(g: NodeGroupRecord): NodeGroupDTO {
    const nodes = this.nodesOf(g.name);
    return {
      name: g.name,
      min: g.min,
      max: g.max,
      priority: g.priority,
      size: nodes.length,
      ready: nodes.filter((n) => n.status === "Ready").length,
      nodes: nodes.map((n) => ({ name: n.name, status: n.status })),
      template: g.template,
      settings: g.settings,
      status: g.status,
      createdAt: g.createdAt,
    };
  }
}

/** "2 cores, 4096 MiB, process nodes" for events. */
export function describeTemplate(t: NodeTemplate): string {
  const cores = t.capacity.cpuMilli / 1000;
  return `${cores} ${cores === 1 ? "core" : "cores"}, ${t.capacity.memoryMiB} MiB, ${t.runtime} nodes`;
}
