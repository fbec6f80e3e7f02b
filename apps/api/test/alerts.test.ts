import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Database } from "@kube9/db";
import { TRPCError } from "@trpc/server";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHarness, openTestDatabase, waitFor, type AgentCaller, type Harness } from "./harness.js";

// Alerting through the API with a hand-driven clock: rules evaluated every (test) second over the
// measurements heartbeats brought, Prometheus semantics (pending, firing after `for`, resolved), events,
// the Alertmanager-format webhook (a local test server), /metrics. The agent is played by the test.

const POD = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "hog" },
  spec: { containers: [{ name: "main", image: "kube9/workload", args: ["memory", "--mib", "100"], resources: { requests: { cpu: "200m", memory: "64Mi" }, limits: { memory: "100Mi" } } }] },
};

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (err) {
    if (err instanceof TRPCError) return `${err.code}: ${err.message}`;
    throw err;
  }
}

describe("alerts (PGlite)", () => {
  let shared: { db: Database; close(): Promise<void> };
  let h: Harness;
  let agent: AgentCaller;
  let podId: string;
  let hook: Server;
  let hookUrl: string;
  let received: Array<{ status: string; alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string>; endsAt: string }> }>;
  let answer503 = 0;

  beforeAll(async () => {
    shared = await openTestDatabase();
    hook = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        if (answer503 > 0) {
          answer503--;
          res.writeHead(503).end();
          return;
        }
        received.push(JSON.parse(body));
        res.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;
  });
  afterAll(async () => {
    await new Promise((r) => hook.close(r));
    await shared?.close();
  });
  beforeEach(async () => {
    received = [];
    answer503 = 0;
    h = await createHarness({ db: shared.db });
    h.clock.now = Math.floor(Date.now() / 1000) * 1000;
    await h.admin.nodes.add({ name: "n1", cpu: 2, memoryMiB: 1024 });
    agent = await h.agent("n1");
    await agent.agent.register({});
    podId = (await h.admin.pods.applyManifest({ manifest: POD })).pod.id;
  });
  afterEach(async () => {
    await h?.close();
  });

  /** One second: the node reports the pod's memory, then the rules are evaluated. */
  async function second(memMiB: number, restarts = 0): Promise<void> {
    h.clock.now += 1000;
    await agent.agent.heartbeat({
      podIds: [podId],
      usage: { cpuMilli: 50, memoryMiB: memMiB + 40 },
      components: {},
      podUsage: { [podId]: { main: [10, memMiB] } },
      podStatuses: [
        {
          podId,
          phase: "Running",
          containerStatuses: [{ name: "main", image: "kube9/workload", state: { running: { startedAt: new Date(h.clock.now).toISOString() } }, lastState: {}, ready: true, started: true, restartCount: restarts }],
          conditions: [],
        },
      ],
    });
    await h.cp.alerting.tick();
  }

  const states = async () => (await h.admin.alerts.list()).map((a) => `${a.name}:${a.state}`);

  it("a rule with for: 3s is pending, fires after 3 s, resolves when the condition stops; events and webhook for both", async () => {
    await h.admin.alerts.setWebhook({ url: hookUrl });
    await h.admin.alerts.applyRules({
      manifest: {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: "mine" },
        spec: { groups: [{ name: "g", rules: [{ alert: "HogMemory", expr: 'kube9_container_memory_usage_bytes{container="main"} > 52428800', for: "3s", labels: { severity: "page" }, annotations: { summary: "{{ $labels.pod }} uses {{ $value | humanize }}B" } }] }] },
      },
    });
    // 60 MiB = 62,914,560 bytes > 50 MiB (52,428,800): holds from the first second.
    await second(60);
    expect(await states()).toContain("HogMemory:pending");
    await second(60);
    await second(60);
    expect(await states()).toContain("HogMemory:pending");
    // 3 s after it first held: firing.
    await second(60);
    expect(await states()).toContain("HogMemory:firing");
    const firing = (await h.admin.alerts.list()).find((a) => a.name === "HogMemory")!;
    expect(firing.labels).toMatchObject({ alertname: "HogMemory", pod: "hog", container: "main", node: "n1", namespace: "default", severity: "page" });
    expect(firing.annotations.summary).toBe("hog uses 62.91MB");
    // The load stops: resolved.
    await second(10);
    expect(await states()).toContain("HogMemory:resolved");
    await waitFor(async () => received.length >= 2);
    expect(received.map((r) => [r.status, r.alerts[0]!.labels.alertname, r.alerts[0]!.status])).toEqual([
      ["firing", "HogMemory", "firing"],
      ["resolved", "HogMemory", "resolved"],
    ]);
    expect(received[0]!.alerts[0]!.endsAt).toBe("0001-01-01T00:00:00Z");
    await h.cp.stop();
    const events = (await h.admin.events.list({ objectName: "hog" })).map((e) => `${e.type} ${e.reason}: ${e.message}`);
    expect(events).toContain("Warning AlertFiring: HogMemory firing: hog uses 62.91MB");
    // It fired at 3 s and stopped holding at 4 s: 1 s of firing.
    expect(events).toContain("Normal AlertResolved: HogMemory resolved after 1s firing (last: hog uses 62.91MB)");
  });

  it("the built-in memory rule fires at 90% of the limit after 2 s; the webhook is retried until it answers", async () => {
    await h.admin.alerts.setWebhook({ url: hookUrl });
    answer503 = 2;
    // 95 of a 100 MiB limit = 0.95 > 0.9.
    await second(95);
    await second(95);
    expect(await states()).toContain("ContainerMemoryNearLimit:pending");
    await second(95);
    expect(await states()).toContain("ContainerMemoryNearLimit:firing");
    // Two 503 answers, then delivered (retries 0.5 s, 1 s).
    await waitFor(async () => received.length >= 1, 10_000);
    expect(received[0]!.alerts[0]!.labels.alertname).toBe("ContainerMemoryNearLimit");
    const text = h.cp.metricsText();
    expect(text).toMatch(/kube9_pod_memory_usage_bytes\{namespace="default",pod="hog",node="n1"\} 99614720/);
    expect(text).toMatch(/kube9_alerts\{[^}]*alertname="ContainerMemoryNearLimit"[^}]*alertstate="firing"[^}]*\} 1/);
  });

  it("restarts within 5 minutes and pending pods feed their built-in rules", async () => {
    // Four restarts within the window: 4 - 0 > 3, for 0s: firing at once.
    await second(10, 0);
    await second(10, 2);
    expect(await states()).not.toContain("ContainerRestarting:firing");
    await second(10, 4);
    expect(await states()).toContain("ContainerRestarting:firing");
    // A pod that fits nowhere waits; after 61 s it is over the 60 s threshold.
    await h.admin.pods.launch({ name: "huge", cpu: 64 });
    h.clock.now += 61_000;
    await h.cp.alerting.tick();
    expect(await states()).toContain("PodPending:firing");
  });

  it("rules can be changed, disabled, reset and deleted; bad input names the field and changes nothing", async () => {
    const before = await h.admin.alerts.rules();
    expect(before.map((r) => r.name)).toEqual(expect.arrayContaining(["NodeCPUHigh", "ContainerMemoryNearLimit", "PodPending"]));
    const changed = await h.admin.alerts.setRule({ name: "ContainerMemoryNearLimit", threshold: 0.8, for: "5s" });
    expect(changed).toMatchObject({ expr: "kube9_container_memory_limit_ratio > 0.8", forMs: 5000, for: "5s", threshold: 0.8, modified: true, builtin: true });
    expect((await h.admin.alerts.setRule({ name: "PodPending", enabled: false })).enabled).toBe(false);
    expect(await failure(h.admin.alerts.setRule({ name: "PodPending", for: "soon" }))).toMatch(/^BAD_REQUEST: .*for/);
    expect(await failure(h.admin.alerts.setRule({ name: "Nope", enabled: false }))).toMatch(/^NOT_FOUND: alert rule "Nope" not found/);
    expect(await failure(h.admin.alerts.setRule({ name: "PodPending", expr: "kube9_no_such_metric > 1" }))).toMatch(/^BAD_REQUEST: .*kube9_no_such_metric/);
    expect(await failure(h.admin.alerts.setWebhook({ url: "ftp://example/x" }))).toMatch(/^BAD_REQUEST: .*url/);
    expect(await failure(h.admin.alerts.applyRules({ manifest: { kind: "PrometheusRule", apiVersion: "monitoring.coreos.com/v1", metadata: { name: "x" }, spec: { groups: [{ name: "g", rules: [{ alert: "X", exprr: "a" }] }] } } }))).toMatch(
      /^BAD_REQUEST: .*spec\.groups\[0\]\.rules\[0\]/,
    );
    // Nothing above changed the rules beyond the two good calls.
    expect((await h.admin.alerts.rules()).filter((r) => r.modified).map((r) => r.name).sort()).toEqual(["ContainerMemoryNearLimit", "PodPending"]);
    expect(await h.admin.alerts.deleteRule({ name: "ContainerMemoryNearLimit" })).toEqual({ name: "ContainerMemoryNearLimit", action: "reset" });
    const mine = { groups: [{ name: "g", rules: [{ alert: "Mine", expr: "kube9_pod_cpu_usage_millicores > 100", labels: { team: "a", severity: "info" }, annotations: { summary: "s", description: "d" } }] }] };
    expect(await h.admin.alerts.applyRules({ manifest: mine })).toEqual([{ name: "Mine", action: "created" }]);
    // The same again is unchanged, though the database keeps the rule's keys in its own order.
    expect(await h.admin.alerts.applyRules({ manifest: mine })).toEqual([{ name: "Mine", action: "unchanged" }]);
    expect((await h.admin.alerts.rules()).find((r) => r.name === "Mine")).toMatchObject({ builtin: false, for: "0s" });
    expect(await h.admin.alerts.deleteRule({ name: "Mine" })).toEqual({ name: "Mine", action: "deleted" });
    expect((await h.admin.alerts.rules()).filter((r) => r.modified).map((r) => r.name)).toEqual(["PodPending"]);
  });
});
