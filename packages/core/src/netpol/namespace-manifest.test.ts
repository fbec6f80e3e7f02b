import { describe, expect, it } from "vitest";
import { namespaceToManifest, parseNamespaceManifest } from "./namespace-manifest.js";

const ns = (metadata: unknown, extra: Record<string, unknown> = {}) => ({ apiVersion: "v1", kind: "Namespace", metadata, ...extra });

describe("parseNamespaceManifest", () => {
  it.each([
    // The plain case: name and labels kept.
    { doc: ns({ name: "x", labels: { ns: "x" } }), want: { name: "x", labels: { ns: "x" } } },
    // The name label Kubernetes sets itself is accepted when it says the name, and not stored (it is derived).
    { doc: ns({ name: "y", labels: { "kubernetes.io/metadata.name": "y" } }), want: { name: "y", labels: {} } },
    // What `kubectl get ns -o yaml` prints (spec.finalizers, status) reads back.
    { doc: ns({ name: "z" }, { spec: { finalizers: ["kubernetes"] }, status: { phase: "Active" } }), want: { name: "z", labels: {} } },
  ])("accepts $doc.metadata.name", ({ doc, want }) => {
    expect(parseNamespaceManifest(doc)).toEqual({ ok: true, namespace: want });
  });

  it.each([
    // Namespaces are DNS labels: no dots, no capitals.
    { doc: ns({ name: "a.b" }), field: "metadata.name" },
    { doc: ns({ name: "A" }), field: "metadata.name" },
    // 64 characters is one over the limit of 63.
    { doc: ns({ name: "a".repeat(64) }), field: "metadata.name" },
    { doc: ns({}), field: "metadata.name" },
    { doc: ns({ name: "x", labels: { "kubernetes.io/metadata.name": "other" } }), field: "metadata.labels[kubernetes.io/metadata.name]" },
    { doc: ns({ name: "x", labels: { "bad key!": "v" } }), field: "metadata.labels" },
    { doc: { ...ns({ name: "x" }), kind: "Pod" }, field: "kind" },
    { doc: { ...ns({ name: "x" }), apiVersion: "v2" }, field: "apiVersion" },
    { doc: ns({ name: "x", uid: "u" }), field: "metadata.uid" },
  ])("refuses $field", ({ doc, field }) => {
    const r = parseNamespaceManifest(doc);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.field).some((f) => f.startsWith(field))).toBe(true);
  });

  it("prints what reads back, with the name label", () => {
    const m = namespaceToManifest({ name: "x", labels: { ns: "x" } });
    expect((m.metadata as { labels: unknown }).labels).toEqual({ ns: "x", "kubernetes.io/metadata.name": "x" });
    expect(parseNamespaceManifest(m)).toEqual({ ok: true, namespace: { name: "x", labels: { ns: "x" } } });
  });
});
