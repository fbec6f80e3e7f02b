import type { Database } from "@kube9/db";
import { TRPCError } from "@trpc/server";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHarness, openTestDatabase, type AgentCaller, type Harness } from "./harness.js";

// Namespaces, NetworkPolicy objects and the API side of the policy dataplane (what heartbeat answers carry).
// The dataplane on real connections is tested with process nodes in netpol-process.test.ts.

const beat = { usage: { cpuMilli: 0, memoryMiB: 0 }, components: {} };

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError) return { code: err.code, message: err.message };
    throw err;
  }
  return { code: "OK", message: "" };
}

const server = (name: string, namespace: string, labels: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace, labels },
  spec: { containers: [{ name: "c", image: "busybox", command: ["sleep", "3600"], ports: [{ containerPort: 80, name: "serve-80-tcp" }] }] },
});

const policy = (name: string, namespace: string, spec: Record<string, unknown>) => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name, namespace },
  spec,
});

describe("namespaces and network policies (PGlite)", () => {
  let shared: { db: Database; close(): Promise<void> };
  let h: Harness;
  let agent: AgentCaller;

  beforeAll(async () => {
    shared = await openTestDatabase();
  });
  afterAll(async () => {
    await shared?.close();
  });
  beforeEach(async () => {
    h = await createHarness({ db: shared.db });
    await h.admin.nodes.add({ name: "n1", cpu: 4, memoryMiB: 4096 });
    agent = await h.agent("n1");
    await agent.agent.register({ kubelet: { url: "http://127.0.0.1:1", token: "kubelet-token-0123456789" } });
  });
  afterEach(async () => {
    await h.close();
  });

  it("creates namespaces with the name label Kubernetes adds; names are DNS labels; default always exists", async () => {
    const x = await h.admin.namespaces.create({ name: "x", labels: { ns: "x" } });
    expect(x).toMatchObject({ name: "x", status: "Active", labels: { ns: "x", "kubernetes.io/metadata.name": "x" } });
    expect((await h.admin.namespaces.list()).map((n) => n.name)).toEqual(["default", "x"]);
    expect(await failure(h.admin.namespaces.create({ name: "x" }))).toEqual({ code: "CONFLICT", message: 'namespace "x" already exists' });
    expect((await failure(h.admin.namespaces.create({ name: "Bad.Name" }))).code).toBe("BAD_REQUEST");
    const wrongLabel = await failure(h.admin.namespaces.create({ name: "y", labels: { "kubernetes.io/metadata.name": "z" } }));
    expect(wrongLabel).toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("metadata.labels[kubernetes.io/metadata.name]") });
    expect(await failure(h.admin.namespaces.delete({ name: "default" }))).toMatchObject({ code: "PRECONDITION_FAILED" });
    // A manifest with other labels relabels it; the same again changes nothing.
    const applied = await h.admin.namespaces.applyManifest({ manifest: { apiVersion: "v1", kind: "Namespace", metadata: { name: "x", labels: { ns: "x", team: "a" } } } });
    expect(applied).toMatchObject({ action: "configured", namespace: { labels: { team: "a" } } });
    expect((await h.admin.namespaces.applyManifest({ manifest: { apiVersion: "v1", kind: "Namespace", metadata: { name: "x", labels: { ns: "x", team: "a" } } } })).action).toBe("unchanged");
  });

  it("pod names are unique per namespace; every pod procedure takes the namespace", async () => {
    await h.admin.namespaces.create({ name: "x" });
    await h.admin.pods.launch({ name: "web", cpu: 0.1 });
    await h.admin.pods.launch({ name: "web", cpu: 0.1, namespace: "x" });
    expect(await failure(h.admin.pods.launch({ name: "web", cpu: 0.1, namespace: "x" }))).toMatchObject({ code: "CONFLICT", message: expect.stringContaining('in namespace "x"') });
    expect(await failure(h.admin.pods.launch({ name: "web", cpu: 0.1, namespace: "nope" }))).toMatchObject({ code: "NOT_FOUND", message: expect.stringContaining('namespace "nope" not found') });
    expect((await h.admin.pods.list({ namespace: "x" })).map((p) => `${p.namespace}/${p.name}`)).toEqual(["x/web"]);
    expect((await h.admin.pods.list()).length).toBe(2);
    expect((await h.admin.pods.get({ name: "web", namespace: "x" })).pod.namespace).toBe("x");
    // A manifest's namespace is used; -n that disagrees with it is an error, as kubectl says.
    const applied = await h.admin.pods.applyManifest({ manifest: server("srv", "x", { app: "srv" }) });
    expect(applied.pod.namespace).toBe("x");
    expect(await failure(h.admin.pods.applyManifest({ manifest: server("srv2", "x", {}), namespace: "default" }))).toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("does not match the namespace") });
    await h.admin.pods.delete({ name: "web", namespace: "x", gracePeriodSeconds: 0 });
    expect((await h.admin.pods.list()).map((p) => `${p.namespace}/${p.name}`).sort()).toEqual(["default/web", "x/srv"]);
  });

  it("deleting a namespace deletes its pods and policies, refuses new content meanwhile, then goes", async () => {
    await h.admin.namespaces.create({ name: "x" });
    await h.admin.pods.launch({ name: "a", cpu: 0.1, namespace: "x" });
    await h.admin.pods.launch({ name: "keep", cpu: 0.1 });
    await h.admin.networkPolicies.applyManifest({ manifest: policy("deny", "x", { podSelector: {} }) });
    // Pods without containers go at once, so the namespace goes within the request.
    await h.admin.namespaces.delete({ name: "x" });
    expect((await h.admin.namespaces.list()).map((n) => n.name)).toEqual(["default"]);
    expect((await h.admin.pods.list()).map((p) => p.name)).toEqual(["keep"]);
    expect(await h.admin.networkPolicies.list()).toEqual([]);
  });

  it("a namespace whose pods are stopping stays Terminating, takes no new pods, and goes once they are gone", async () => {
    await h.admin.namespaces.create({ name: "x" });
    const s = await h.admin.pods.applyManifest({ manifest: server("s", "x", {}) });
    await agent.agent.heartbeat({ podIds: [], ...beat });
    await agent.agent.heartbeat({ podIds: [s.pod.id], ...beat });
    const ns = await h.admin.namespaces.delete({ name: "x" });
    expect(ns.status).toBe("Terminating");
    expect((await h.admin.pods.get({ name: "s", namespace: "x" })).pod.status).toBe("Terminating");
    expect(await failure(h.admin.pods.launch({ name: "late", cpu: 0.1, namespace: "x" }))).toMatchObject({ code: "PRECONDITION_FAILED", message: expect.stringContaining("being terminated") });
    // The node stopped the pod's containers and stops reporting it: the row goes, then the namespace.
    await agent.agent.heartbeat({ podIds: [], ...beat });
    await h.cp.namespaces.finish("x");
    expect((await h.admin.namespaces.list()).map((n) => n.name)).toEqual(["default"]);
  });

  it("applies NetworkPolicy manifests unchanged: created, unchanged, configured (generation 2); errors name the field", async () => {
    await h.admin.namespaces.create({ name: "x" });
    const manifest = policy("allow", "x", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 80 }] }] });
    expect((await h.admin.networkPolicies.applyManifest({ manifest })).action).toBe("created");
    expect((await h.admin.networkPolicies.applyManifest({ manifest })).action).toBe("unchanged");
    const changed = structuredClone(manifest);
    (changed.spec.ingress as Array<{ ports: unknown[] }>)[0]!.ports = [{ port: 81 }];
    const configured = await h.admin.networkPolicies.applyManifest({ manifest: changed });
    expect(configured).toMatchObject({ action: "configured", policy: { generation: 2, podSelector: "pod=a", policyTypes: ["Ingress"] } });
    // Kubernetes' defaults are filled in: protocol TCP, policyTypes.
    expect(configured.policy.manifest).toMatchObject({ spec: { ingress: [{ ports: [{ protocol: "TCP", port: 81 }] }], policyTypes: ["Ingress"] } });
    const bad = policy("bad", "x", { podSelector: {}, ingress: [{ ports: [{ port: 80, endPort: 70 }] }] });
    const err = await failure(h.admin.networkPolicies.applyManifest({ manifest: bad }));
    expect(err).toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("spec.ingress[0].ports[0].endPort") });
    expect(await failure(h.admin.networkPolicies.applyManifest({ manifest: policy("p", "nope", {}) }))).toMatchObject({ code: "NOT_FOUND" });
    expect((await h.admin.networkPolicies.list({ namespace: "x" })).map((p) => p.name)).toEqual(["allow"]);
    await h.admin.networkPolicies.delete({ namespace: "x", name: "allow" });
    expect(await failure(h.admin.networkPolicies.get({ namespace: "x", name: "allow" }))).toMatchObject({ code: "NOT_FOUND" });
  });

  it("heartbeat answers carry a node's firewalls until its agent reports the revision; a policy change makes it outdated", async () => {
    await h.admin.namespaces.create({ name: "x", labels: { ns: "x" } });
    const a = await h.admin.pods.applyManifest({ manifest: server("a", "x", { pod: "a" }) });
    const b = await h.admin.pods.applyManifest({ manifest: server("b", "x", { pod: "b" }) });
    const ids = [a.pod.id, b.pod.id];
    const report = (revision: string) => ({ revision, enforcement: "nftables" as const });
    const status = (podId: string, podIP: string) => ({ podId, phase: "Running" as const, containerStatuses: [], conditions: [], podIP });
    // No policies: every pod is open, named by the revision "open".
    const first = await agent.agent.heartbeat({ podIds: [], ...beat, netpol: report("") });
    expect(first.netpol).toEqual({ revision: "open", firewalls: {} });
    await agent.agent.heartbeat({ podIds: ids, ...beat, netpol: report("open"), podStatuses: [status(a.pod.id, "10.244.0.2"), status(b.pod.id, "10.244.0.3")] });
    expect((await agent.agent.heartbeat({ podIds: ids, ...beat, netpol: report("open") })).netpol).toBeUndefined();
    // Only b may reach a on port 80: a is isolated for ingress, b is not isolated at all.
    await h.admin.networkPolicies.applyManifest({
      manifest: policy("to-a", "x", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }], ports: [{ port: "serve-80-tcp" }] }] }),
    });
    expect(h.cp.dataplane.outdatedNodes()).toEqual([agent.nodeId]);
    const answer = await agent.agent.heartbeat({ podIds: ids, ...beat, netpol: report("open") });
    expect(Object.keys(answer.netpol!.firewalls)).toEqual([a.pod.id]);
    expect(answer.netpol!.firewalls[a.pod.id]).toEqual({
      ingress: [{ peers: [{ cidr: "10.244.0.3/32", except: [] }], ports: [{ protocol: "TCP", from: 80, to: 80 }] }],
      egress: null,
    });
    await agent.agent.heartbeat({ podIds: ids, ...beat, netpol: report(answer.netpol!.revision) });
    expect(h.cp.dataplane.outdatedNodes()).toEqual([]);
    // b gets a new IP (it moved): a's firewall follows it.
    await agent.agent.heartbeat({ podIds: ids, ...beat, netpol: report(answer.netpol!.revision), podStatuses: [status(b.pod.id, "10.244.0.9")] });
    const moved = await agent.agent.heartbeat({ podIds: ids, ...beat, netpol: report(answer.netpol!.revision) });
    expect(moved.netpol!.firewalls[a.pod.id]!.ingress![0]!.peers).toEqual([{ cidr: "10.244.0.9/32", except: [] }]);
    // describe: which pods it selects, and whether nodes enforce.
    const described = await h.admin.networkPolicies.get({ namespace: "x", name: "to-a" });
    expect(described).toMatchObject({ selectedPods: ["a"], enforcement: { enforcing: ["n1"], notEnforcing: [] } });
    // explain agrees with the firewall.
    const ok = await h.admin.net.explain({ from: { namespace: "x", name: "b" }, to: { namespace: "x", name: "a" }, port: 80 });
    expect(ok.verdict.allowed).toBe(true);
    const no = await h.admin.net.explain({ from: { namespace: "x", name: "a" }, to: { namespace: "x", name: "a" }, port: 81 });
    expect(no.text).toContain("blocked");
  });

  it("an agent that cannot enforce says why, and describe shows it", async () => {
    await h.admin.namespaces.create({ name: "x" });
    const a = await h.admin.pods.applyManifest({ manifest: server("a", "x", { pod: "a" }) });
    await h.admin.networkPolicies.applyManifest({ manifest: policy("deny", "x", { podSelector: {} }) });
    const first = await agent.agent.heartbeat({ podIds: [], ...beat, netpol: { revision: "", enforcement: "none", reason: "the agent does not run as root" } });
    await agent.agent.heartbeat({ podIds: [a.pod.id], ...beat, netpol: { revision: first.netpol!.revision, enforcement: "none", reason: "the agent does not run as root" } });
    expect(h.cp.dataplane.outdatedNodes()).toEqual([]);
    expect((await h.admin.networkPolicies.get({ namespace: "x", name: "deny" })).enforcement).toEqual({
      enforcing: [],
      notEnforcing: [{ node: "n1", reason: "the agent does not run as root" }],
    });
  });
});
