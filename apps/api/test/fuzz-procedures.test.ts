import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "@kube9/db";
import { rawSql } from "@kube9/db/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../src/router/_app.js";
import { startControlPlane, type RunningControlPlane } from "../src/server.js";
import { tableSnapshot } from "./db-snapshot.js";

/**
 * Property-based tests over every procedure's input, over real HTTP against an API in this process (embedded
 * PGlite): whatever bad input a caller sends (wrong types, unknown keys, deep nesting, NUL and lone surrogates,
 * huge strings, arbitrary JSON), the answer is a 4xx with a short message saying what is wrong, and nothing in
 * the database changes. Each generated input is invalid by construction (an unknown key, or a value no field
 * takes), so a 2xx means a schema let something through. Bounded: a fixed number of runs per procedure.
 */

const ADMIN = "k9a.fuzz-admin-token-0123456789abcdef";
const RUNS_PER_PROCEDURE = 20;
/** Larger inputs go in POST bodies only: a query's input rides in the URL, whose size the HTTP server caps (431). */
const MAX_QUERY_STRING = 2000;

interface Procedure {
  path: string;
  type: "query" | "mutation" | "subscription";
  keys: string[];
}

/** A zod schema's top-level object keys, through optional/default/nullable wrappers; [] when it is not an object. */
function topLevelKeys(schema: unknown): string[] {
  let s = schema as { _zod?: { def?: { type?: string; innerType?: unknown; shape?: Record<string, unknown> } } } | undefined;
  for (let i = 0; i < 5 && s?._zod?.def?.innerType; i++) s = s._zod.def.innerType as typeof s;
  return s?._zod?.def?.shape ? Object.keys(s._zod.def.shape) : [];
}

/** Every procedure that takes an input, with its top-level keys. */
function proceduresWithInput(): { withInput: Procedure[]; without: string[] } {
  const withInput: Procedure[] = [];
  const without: string[] = [];
  for (const [path, p] of Object.entries(appRouter._def.procedures as Record<string, { _def: { type: Procedure["type"]; inputs: unknown[] } }>)) {
    if (p._def.inputs.length === 0) without.push(path);
    else withInput.push({ path, type: p._def.type, keys: p._def.inputs.flatMap(topLevelKeys) });
  }
  return { withInput, without };
}

/** Values no field of any procedure takes: each breaks a rule that holds for every input. */
function poison(big: boolean): fc.Arbitrary<unknown> {
  const around = fc.string({ maxLength: 20 });
  const arbs: Array<fc.Arbitrary<unknown>> = [
    fc.tuple(around, around).map(([a, b]) => `${a}\u0000${b}`),
    fc.tuple(around, fc.integer({ min: 0xd800, max: 0xdfff }), around).map(([a, c, b]) => `${a}${String.fromCharCode(c)}${b}`),
    fc.integer({ min: 33, max: 2000 }).map((depth) => {
      let v: unknown = 1;
      for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v];
      return v;
    }),
    // An object whose own key is unstorable: its name is the problem, not its value.
    fc.tuple(around, fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => ({ [`${k}\u0000`]: v })),
  ];
  // Far longer than any field allows (still under the 1 MiB body limit): refused, and quoted short.
  if (big) arbs.push(fc.integer({ min: 100_000, max: 400_000 }).map((n) => "x".repeat(n)));
  return fc.oneof(...arbs);
}

/** Invalid inputs for one procedure: unknown keys, a poisoned field, a wrong top-level type, or poison anywhere inside arbitrary JSON. */
function badInput(p: Procedure): fc.Arbitrary<unknown> {
  const big = p.type === "mutation";
  const known = new Set(p.keys);
  const unknownKey = fc.string({ minLength: 1, maxLength: big ? 5000 : 40 }).filter((k) => !known.has(k));
  const json = fc.jsonValue({ maxDepth: 3, stringUnit: "binary" });
  const arbs: Array<fc.Arbitrary<unknown>> = [
    // Extra keys beside any of its own: strict schemas refuse them.
    fc.tuple(fc.dictionary(fc.constantFrom(...(p.keys.length ? p.keys : ["name"])), json, { maxKeys: 3 }), unknownKey, json).map(([base, k, v]) => ({ ...base, [k]: v })),
    // Not an object at all (no procedure's input is a bare value or an array).
    fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 50 }), fc.array(json, { maxLength: 5 })),
    // Poison in a field of its own.
    fc.tuple(fc.dictionary(fc.constantFrom(...(p.keys.length ? p.keys : ["name"])), json, { maxKeys: 2 }), fc.constantFrom(...(p.keys.length ? p.keys : ["name"])), poison(big)).map(
      ([base, k, v]) => ({ ...base, [k]: v }),
    ),
    // Poison buried somewhere in arbitrary JSON under its keys.
    fc.tuple(fc.constantFrom(...(p.keys.length ? p.keys : ["name"])), json, poison(false)).map(([k, v, bad]) => ({ [k]: bury(v, bad) })),
  ];
  return fc.oneof(...arbs);
}

/** `bad` placed at the first container found inside `v` (or in a fresh array when v is a plain value). */
function bury(v: unknown, bad: unknown): unknown {
  if (Array.isArray(v)) return [...v, bad];
  if (v !== null && typeof v === "object") return { ...v, nested: bad };
  return [v, bad];
}

describe("fuzzing every procedure's input (real HTTP, PGlite)", () => {
  let home: string;
  let api: RunningControlPlane;
  let db: Database;
  let nodeToken: string;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "kube9-fuzz-"));
    api = await startControlPlane({ port: 0, home, adminToken: ADMIN, runtime: "process", logLevel: "error", log: () => {} });
    // The API keeps its database to itself; the test reads it directly to compare snapshots.
    db = (api.controlPlane as unknown as { opts: { db: Database } }).opts.db;
    // Nothing moves on its own during the run: a node that does not beat stays as it is.
    await call("cluster.setHealth", "mutation", { suspectAfterMs: 3_000_000, failedAfterMs: 3_600_000, provisioningTimeoutMs: 3_600_000 }, ADMIN).then(expectOk);
    const joined = await call("nodes.join", "mutation", { nodes: [{ name: "fuzz-node", cpu: 2 }] }, ADMIN).then(expectOk);
    nodeToken = (joined.body as { result: { data: { nodes: Array<{ token: string }> } } }).result.data.nodes[0]!.token;
    await call("agent.register", "mutation", {}, nodeToken).then(expectOk);
    await call("pods.launch", "mutation", { name: "fuzz-pod", cpu: 0.5 }, ADMIN).then(expectOk);
  });
  afterAll(async () => {
    await api?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  async function call(path: string, type: Procedure["type"], input: unknown, token: string): Promise<{ status: number; text: string; body: unknown }> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    let res: Response;
    if (type === "mutation") {
      res = await fetch(`${api.url}/trpc/${path}`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(input), signal: AbortSignal.timeout(15_000) });
    } else {
      const accept = type === "subscription" ? { accept: "text/event-stream" } : {};
      res = await fetch(`${api.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: { ...headers, ...accept }, signal: AbortSignal.timeout(15_000) });
    }
    if (type === "subscription" && res.ok) return firstEvent(res);
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, text, body };
  }

  /**
   * A subscription's answer: tRPC opens the SSE stream (HTTP 200, "connected") before the procedure runs, so a
   * refused input arrives as its first event, a serialized error carrying the HTTP status it stands for.
   */
  async function firstEvent(res: Response): Promise<{ status: number; text: string; body: unknown }> {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return { status: 200, text, body: undefined };
        text += decoder.decode(value, { stream: true });
        for (const block of text.split("\n\n").slice(0, -1)) {
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
          if (event === "connected" || event === "ping") continue;
          const data = /^data: (.*)$/m.exec(block)?.[1] ?? "";
          if (event !== "serialized-error") return { status: 200, text: block, body: undefined };
          const error = JSON.parse(data) as { data?: { httpStatus?: number } };
          return { status: error.data?.httpStatus ?? 0, text: data, body: { error } };
        }
      }
    } finally {
      await reader.cancel();
    }
  }

  function expectOk(r: { status: number; text: string }) {
    expect(r.status, r.text.slice(0, 300)).toBe(200);
    return r as { status: number; text: string; body: unknown };
  }

  const snapshot = () => tableSnapshot((q) => rawSql(db).rows(q) as Promise<Array<Record<string, unknown>>>);

  it("every procedure with an input answers bad input with a short 4xx message and changes nothing", async () => {
    const { withInput, without } = proceduresWithInput();
    console.log(`fuzzing ${withInput.length} procedures, ${RUNS_PER_PROCEDURE} inputs each; no input to fuzz: ${without.join(", ")}`);
    expect(withInput.length).toBeGreaterThan(50);
    const started = Date.now();
    const statuses = new Map<number, number>();
    for (const p of withInput) {
      const token = p.path.startsWith("agent.") ? nodeToken : ADMIN;
      const before = await snapshot();
      await fc.assert(
        fc.asyncProperty(badInput(p), async (input) => {
          const size = JSON.stringify(input).length;
          if (p.type !== "mutation" && size > MAX_QUERY_STRING) return;
          const r = await call(p.path, p.type, input, token);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          const error = (r.body as { error?: { message?: unknown; data?: { code?: unknown } } } | undefined)?.error;
          const what = `${p.path} answered HTTP ${r.status} to ${JSON.stringify(input).slice(0, 200)}: ${r.text.slice(0, 300)}`;
          expect(r.status >= 400 && r.status < 500, what).toBe(true);
          expect(typeof error?.message === "string" && error.message.length > 5, what).toBe(true);
          expect(String(error?.message), what).not.toMatch(/internal error/);
          expect(r.text.length, what).toBeLessThan(8 * 1024);
        }),
        { numRuns: RUNS_PER_PROCEDURE },
      );
      expect(await snapshot(), `${p.path} changed the database`).toEqual(before);
    }
    console.log(`fuzzed in ${((Date.now() - started) / 1000).toFixed(1)} s; answers by HTTP status: ${JSON.stringify(Object.fromEntries(statuses))}`);
  }, 120_000);
});
