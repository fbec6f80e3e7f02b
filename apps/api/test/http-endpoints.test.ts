import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane, type RunningControlPlane } from "../src/server.js";
import { waitFor } from "./harness.js";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict parser of the Prometheus text exposition format (0.0.4); throws on any malformed line. */
export function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const name = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  const value = "(?:[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?|[-+]?Inf|NaN)";
  // Values as Go's strconv.ParseFloat (Prometheus' parser) reads them: NaN and Inf in any case.
  const sampleRe = new RegExp(`^(${name})(?:\\{(.*)\\})?\\s+(${value})(?:\\s+-?\\d+)?$`, "i");
  const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"\s*(?:,\s*|$)/gy;
  if (!text.endsWith("\n")) throw new Error("exposition must end with a newline");
  for (const [i, line] of text.split("\n").entries()) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      const m = new RegExp(`^# (HELP|TYPE) (${name}) ?(.*)$`).exec(line);
      if (!m) {
        if (/^# (HELP|TYPE)/.test(line)) throw new Error(`line ${i + 1}: bad comment: ${line}`);
        continue;
      }
      if (m[1] === "TYPE") {
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(m[3]!)) throw new Error(`line ${i + 1}: bad type ${m[3]}`);
        if (types.has(m[2]!)) throw new Error(`line ${i + 1}: second TYPE for ${m[2]}`);
        types.set(m[2]!, m[3]!);
      }
      continue;
    }
    const m = sampleRe.exec(line);
    if (!m) throw new Error(`line ${i + 1}: not a sample: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      labelRe.lastIndex = 0;
      let consumed = 0;
      for (let lm = labelRe.exec(m[2]); lm; lm = labelRe.exec(m[2])) {
        labels[lm[1]!] = lm[2]!;
        consumed = labelRe.lastIndex;
      }
      if (consumed !== m[2].length) throw new Error(`line ${i + 1}: bad labels: ${m[2]}`);
    }
    const v = m[3]!;
    samples.push({ name: m[1]!, labels, value: /inf$/i.test(v) ? (v.startsWith("-") ? -Infinity : Infinity) : /nan/i.test(v) ? NaN : Number(v) });
  }
  return { types, samples };
}

function sample(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe("HTTP endpoints besides tRPC", () => {
  let home: string;
  let api: RunningControlPlane;
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${api.url}/trpc/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${api.token}` },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { result?: { data: unknown }; error?: unknown };
    if (!res.ok) throw new Error(JSON.stringify(json));
    return json.result!.data;
  };
  const scrape = async () => {
    const res = await fetch(`${api.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheus(await res.text());
  };

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "kube9-http-"));
    api = await startControlPlane({ port: 0, home, runtime: "process", logLevel: "error", log: () => {} });
  });
  afterAll(async () => {
    await api?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("/openapi.json is a valid OpenAPI 3 document of the public procedures", async () => {
    const res = await fetch(`${api.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/trpc/nodes.add", "/trpc/nodes.list", "/trpc/pods.launch", "/trpc/pods.get", "/trpc/cluster.setHealth", "/trpc/events.watch"]),
    );
    expect(doc.paths["/trpc/nodes.add"]!.post).toBeDefined();
    expect(doc.paths["/trpc/nodes.list"]!.get).toBeDefined();
    // The agents' protocol is not public.
    expect(Object.keys(doc.paths).some((p) => p.startsWith("/trpc/agent."))).toBe(false);
    // Input schemas come from the zod parsers, bounds included.
    const add = doc.paths["/trpc/nodes.add"]!.post as { requestBody: { content: { "application/json": { schema: { properties: { cpu: { maximum: number } }; required: string[] } } } } };
    expect(add.requestBody.content["application/json"].schema.required).toContain("cpu");
    expect(add.requestBody.content["application/json"].schema.properties.cpu.maximum).toBeGreaterThan(0);
  });

  it("the documented endpoints really work as described (GET with ?input=, POST with a JSON body)", async () => {
    const q = await fetch(`${api.url}/trpc/pods.list?input=${encodeURIComponent(JSON.stringify({}))}`, {
      headers: { authorization: `Bearer ${api.token}` },
    });
    expect(q.status).toBe(200);
    expect(((await q.json()) as { result: { data: unknown } }).result.data).toEqual([]);
    const bad = await fetch(`${api.url}/trpc/pods.launch`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${api.token}` },
      body: JSON.stringify({ cpu: -1 }),
    });
    expect(bad.status).toBe(400);
    const err = (await bad.json()) as { error: { message: string; data: { code: string } } };
    expect(err.error.data.code).toBe("BAD_REQUEST");
  });

  it("/docs is a self-contained page", async () => {
    const res = await fetch(`${api.url}/docs`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("/openapi.json");
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/);
    expect(html).not.toMatch(/<link[^>]+href=["']https?:/);
  });

  it("/metrics parses as Prometheus text and its counters move when pods are launched", async () => {
    const before = await scrape();
    expect(before.types.get("kube9_scheduling_attempts_total")).toBe("counter");
    expect(before.types.get("kube9_scheduling_duration_seconds")).toBe("histogram");
    expect(before.types.get("kube9_heartbeats_received_total")).toBe("counter");
    expect(before.types.get("kube9_node_failure_detection_seconds")).toBe("histogram");
    expect(before.types.get("kube9_pod_reschedules_total")).toBe("counter");
    expect(before.types.get("kube9_nodes")).toBe("gauge");
    expect(before.types.get("kube9_pods")).toBe("gauge");
    const scheduled0 = sample(before.samples, "kube9_scheduling_attempts_total", { result: "scheduled" }) ?? 0;
    const unsched0 = sample(before.samples, "kube9_scheduling_attempts_total", { result: "unschedulable" }) ?? 0;

    await call("nodes.add", { name: "m1", cpu: 2, memoryMiB: 2048, runtime: "hollow" });
    await waitFor(async () => sample((await scrape()).samples, "kube9_nodes", { status: "Ready" }) === 1);
    await call("pods.launch", { name: "p1", cpu: 1, memoryMiB: 256 });
    await call("pods.launch", { name: "p2", cpu: 0.5 });
    await call("pods.launch", { name: "too-big", cpu: 8 });

    const after = await scrape();
    expect(sample(after.samples, "kube9_scheduling_attempts_total", { result: "scheduled" })).toBe(scheduled0 + 2);
    expect(sample(after.samples, "kube9_scheduling_attempts_total", { result: "unschedulable" })!).toBeGreaterThanOrEqual(unsched0 + 1);
    expect(sample(after.samples, "kube9_scheduling_duration_seconds_count")!).toBeGreaterThanOrEqual(3);
    expect(sample(after.samples, "kube9_cpu_millicores", { kind: "capacity" })).toBe(2000);
    expect(sample(after.samples, "kube9_cpu_millicores", { kind: "allocated" })).toBe(1500);
    expect(sample(after.samples, "kube9_memory_mebibytes", { kind: "capacity" })).toBe(2048);
    expect(sample(after.samples, "kube9_memory_mebibytes", { kind: "allocated" })).toBe(256);
    expect(sample(after.samples, "kube9_pods", { status: "Pending" })).toBe(1);
    await waitFor(async () => (sample((await scrape()).samples, "kube9_heartbeats_received_total") ?? 0) > 0);

    // Failing the node: the detection histogram and the reschedule counter move.
    await call("cluster.setHealth", { heartbeatIntervalMs: 200, suspectAfterMs: 600, failedAfterMs: 1000 });
    await call("nodes.fail", { name: "m1", mode: "pause" });
    await waitFor(async () => sample((await scrape()).samples, "kube9_nodes", { status: "Failed" }) === 1, 10_000);
    const failed = await scrape();
    expect(sample(failed.samples, "kube9_node_failure_detection_seconds_count")).toBe(1);
    expect(sample(failed.samples, "kube9_node_failure_detection_seconds_sum")!).toBeGreaterThanOrEqual(0.9);
    expect(sample(failed.samples, "kube9_pod_reschedules_total")).toBe(2);
  });

  it("the parser rejects malformed exposition text", () => {
    expect(() => parsePrometheus("kube9_x{a=b} 1\n")).toThrow();
    expect(() => parsePrometheus("kube9 x 1\n")).toThrow();
    expect(() => parsePrometheus("# TYPE kube9_x countr\n")).toThrow();
    expect(parsePrometheus('# TYPE a counter\na{b="c\\"d"} 1.5e3\n').samples[0]!.value).toBe(1500);
  });
});
