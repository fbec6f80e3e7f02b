import { openDatabase, type Database, type NodeRecord, type PodRecord } from "@kube9/db";
import { TRPCError } from "@trpc/server";
import { ControlPlane } from "../../src/control-plane.js";
import { createLogger, type Logger } from "../../src/logger.js";
import { appRouter } from "../../src/router/_app.js";
import { hashToken } from "../../src/tokens.js";
import { createCallerFactory, createContext } from "../../src/trpc.js";
import { ADMIN, ScriptedRuntime, type AgentCaller, type Harness } from "../harness.js";

const createCaller = createCallerFactory(appRouter);

/** The usage every scripted heartbeat reports. */
export const IDLE = { cpuMilli: 0, memoryMiB: 0 };

/**
 * A second control plane on a database another harness already uses, without emptying it: how a
 * second API process (or the next one after a restart) looks. Same wiring as createHarness.
 */
export async function attachControlPlane(db: Database, clock: { now: number } = { now: Date.now() }, log?: Logger): Promise<Harness> {
  const runtime = new ScriptedRuntime();
  const cp = new ControlPlane({
    db,
    runtimes: { process: runtime },
    defaultRuntime: "process",
    adminTokenHash: hashToken(ADMIN),
    log: log ?? createLogger({ level: "error" }),
    apiUrl: () => "http://127.0.0.1:1",
    now: () => clock.now,
  });
  await cp.init();
  const as = async (token: string | undefined) => createCaller(await createContext(cp, token ? `Bearer ${token}` : undefined));
  const admin = await as(ADMIN);
  return {
    db,
    cp,
    runtime,
    clock,
    admin,
    as,
    async agent(nodeName: string) {
      const node = (await admin.nodes.get({ name: nodeName })).node;
      const spec = runtime.specs.get(node.id);
      if (!spec) throw new Error(`no agent spec for ${nodeName}`);
      const caller = await as(spec.token);
      return { nodeId: node.id, token: spec.token, agent: caller.agent, nodes: caller.nodes };
    },
    async monitorTick() {
      await cp.lifecycle.tick();
      await cp.recovery.tick();
    },
    async close() {
      await cp.stop();
    },
  };
}

/** Adds a node and plays its agent's registration (a beat at the harness clock's now). */
export async function readyNode(h: Harness, name: string, cpu: number, memoryMiB?: number): Promise<AgentCaller> {
  await h.admin.nodes.add({ name, cpu, memoryMiB });
  const agent = await h.agent(name);
  await agent.agent.register({ nodeId: agent.nodeId });
  return agent;
}

/** One heartbeat from the agent, reporting the given pods. */
export async function beat(agent: AgentCaller, podIds: string[] = []): Promise<{ desiredPodIds: string[] }> {
  return agent.agent.heartbeat({ nodeId: agent.nodeId, podIds, usage: IDLE, components: {} });
}

/** The node row as the database has it (the truth, not a cache). */
export async function dbNode(h: Harness, name: string): Promise<NodeRecord> {
  const row = await h.db.nodes.getByName(name);
  if (!row) throw new Error(`node ${name} not in the database`);
  return row;
}

/** The pod row as the database has it. */
export async function dbPod(h: Harness, name: string): Promise<PodRecord> {
  const row = await h.db.pods.getByName("default", name);
  if (!row) throw new Error(`pod ${name} not in the database`);
  return row;
}

/** Event reasons about one object, oldest first. */
export async function reasons(h: Harness, objectName: string): Promise<string[]> {
  return (await h.admin.events.list({ objectName })).map((e) => e.reason);
}

/** The tRPC code a call fails with, or OK. */
export async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
  return "OK";
}

/** An in-memory PGlite database (the same engine as openTestDatabase, without its data folder: opens faster). */
export async function openMemoryDatabase(): Promise<{ db: Database; close(): Promise<void> }> {
  const db = await openDatabase({});
  return { db, close: () => db.close() };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
