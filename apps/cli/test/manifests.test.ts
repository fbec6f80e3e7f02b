// Reading `-f`: YAML streams (several documents), JSON, Lists, stdin, and errors that point at the file and line.
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { identify, isNodeGroupManifest, isRuleManifest, parseManifests, readSource, ruleNames, sourceName, unsupportedKind, where } from "../src/manifests.js";

const TWO_PODS = `apiVersion: v1
kind: Pod
metadata:
  name: sleeper
spec:
  containers:
  - name: main
    image: busybox
---
# the http workload
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers: [{name: http, image: kube9/workload}]
`;

describe("parseManifests", () => {
  it("reads every document of a YAML stream, with its 1-based index and first line", () => {
    const docs = parseManifests(TWO_PODS, "pods.yaml");
    expect(docs.map((d) => [d.index, d.line, identify(d.value).name])).toEqual([
      [1, 1, "sleeper"],
      // The comment is not where the document starts; its first key is.
      [2, 11, "web"],
    ]);
  });

  // Each case: the text, then the names read from it in order.
  const cases: [why: string, text: string, names: (string | undefined)[]][] = [
    ["JSON is YAML too", '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"}}', ["j"]],
    ["empty documents (a leading or trailing ---) are skipped", "---\nkind: Pod\nmetadata: {name: a}\n---\n---\n", ["a"]],
    ["a v1 List is unpacked into its items", "kind: List\nitems:\n- {kind: Pod, metadata: {name: a}}\n- {kind: Pod, metadata: {name: b}}\n", ["a", "b"]],
    ["an empty file has no documents", "", []],
    ["a document without metadata still counts", "kind: Pod\n", [undefined]],
  ];
  it.each(cases)("%s", (_why, text, names) => {
    expect(parseManifests(text, "f.yaml").map((d) => identify(d.value).name)).toEqual(names);
  });

  it("a YAML syntax error names the file and the line, and nothing is applied", () => {
    const bad = "kind: Pod\nmetadata:\n  name: a\n---\nkind: Pod\nmetadata: [unclosed\n";
    expect(() => parseManifests(bad, "bad.yaml")).toThrow(/^cannot parse bad\.yaml: line \d+, column \d+: /);
    expect(() => parseManifests("a: b: c\n", "-")).toThrow(/^cannot parse STDIN: line 1, column \d+/);
  });
});

describe("document kinds", () => {
  const [doc] = parseManifests("kind: Service\nmetadata: {name: s}\n", "x.yaml");
  it("a kind other than Pod is refused, naming the document and its kind", () => {
    expect(unsupportedKind(doc!, "x.yaml")).toBe('x.yaml document 1 (line 1): kind "Service" is not supported: Kube-9 knows kinds "Pod", "Namespace", "NetworkPolicy" (networking.k8s.io/v1), "PrometheusRule" (monitoring.coreos.com/v1) and "NodeGroup" (kube9.io/v1)');
  });

  it("a Pod, a NodeGroup, or a document without a kind (the API names the missing field), goes through", () => {
    for (const text of ["kind: Pod\n", "kind: NodeGroup\n", "kind: Namespace\n", "kind: NetworkPolicy\n", "metadata: {name: a}\n"]) {
      expect(unsupportedKind(parseManifests(text, "f")[0]!, "f")).toBeUndefined();
    }
  });

  it("a document that is not a mapping is refused", () => {
    expect(unsupportedKind(parseManifests("- a\n- b\n", "f")[0]!, "f")).toMatch(/^f document 1 \(line 1\): not an object/);
  });

  it("names stdin as kubectl does", () => {
    expect(sourceName("-")).toBe("STDIN");
    expect(where(doc!, "-")).toBe("STDIN document 1 (line 1)");
  });
});

describe("alert rule documents", () => {
  const PROMETHEUS_RULE = `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: mine}
spec:
  groups:
  - name: a
    rules:
    - {alert: BurnerHot, expr: 'kube9_pod_cpu_usage_millicores > 100'}
    - {alert: Slow, expr: 'kube9_pod_pending_seconds > 5', for: 1m}
  - name: b
    rules: [{alert: Third, expr: 'kube9_node_cpu_usage_ratio > 0.5'}]
`;
  const BARE = "groups:\n- name: g\n  rules:\n  - alert: Bare\n    expr: kube9_pod_pending_seconds > 5\n";

  it("a PrometheusRule and a bare Prometheus rule file are rules; a Pod is not", () => {
    const [rule] = parseManifests(PROMETHEUS_RULE, "r.yaml");
    const [bare] = parseManifests(BARE, "b.yaml");
    expect(isRuleManifest(rule!.value)).toBe(true);
    expect(isRuleManifest(bare!.value)).toBe(true);
    expect(unsupportedKind(rule!, "r.yaml")).toBeUndefined();
    expect(unsupportedKind(bare!, "b.yaml")).toBeUndefined();
    for (const text of ["kind: Pod\n", "metadata: {name: a}\n", "apiVersion: v1\ngroups: []\n"]) {
      expect(isRuleManifest(parseManifests(text, "f")[0]!.value)).toBe(false);
    }
  });

  it("the alert names of every group, for delete -f", () => {
    expect(ruleNames(parseManifests(PROMETHEUS_RULE, "r.yaml")[0]!.value)).toEqual(["BurnerHot", "Slow", "Third"]);
    expect(ruleNames(parseManifests(BARE, "b.yaml")[0]!.value)).toEqual(["Bare"]);
    // Broken shapes give what is there; the API names what is wrong when it is applied.
    expect(ruleNames({ kind: "PrometheusRule", spec: { groups: [null, { rules: "x" }, { rules: [{ record: "r" }] }] } })).toEqual([]);
  });
});

describe("NodeGroup manifests", () => {
  it("kind NodeGroup is a node group, whatever its apiVersion (the API names the one it takes); a Pod or a rule is not", () => {
    expect(isNodeGroupManifest({ apiVersion: "kube9.io/v1", kind: "NodeGroup", metadata: { name: "web" } })).toBe(true);
    expect(isNodeGroupManifest({ apiVersion: "v1", kind: "NodeGroup" })).toBe(true);
    for (const value of [{ kind: "Pod" }, { kind: "PrometheusRule" }, { groups: [] }, null, "NodeGroup"]) {
      expect(isNodeGroupManifest(value)).toBe(false);
    }
  });
});

describe("readSource", () => {
  it("- reads stdin to the end", async () => {
    expect(await readSource("-", Readable.from([Buffer.from("kind: "), Buffer.from("Pod\n")]))).toBe("kind: Pod\n");
  });

  it("a missing file is one clear line", async () => {
    await expect(readSource("/nonexistent/pods.yaml")).rejects.toThrow('the path "/nonexistent/pods.yaml" does not exist');
  });
});
