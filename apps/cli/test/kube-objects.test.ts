// `get -o json|yaml` prints Kubernetes v1 objects, so kubectl-minded scripts (jq .status.phase) work.
import { describe, expect, it } from "vitest";
import { kubeList, podPhaseOf, qosClass, toKubeNode, toKubePod } from "../src/output/kube-objects.js";
import type { PodDTO } from "../src/types.js";
import { node, pod, spec } from "./pod-fixtures.js";

describe("a pod as a v1 Pod", () => {
  it("has Kubernetes' top-level shape and field names", () => {
    const p = pod();
    const k = toKubePod(p) as { [k: string]: any };
    expect(k.apiVersion).toBe("v1");
    expect(k.kind).toBe("Pod");
    expect(k.metadata).toEqual({ name: "web", namespace: "default", uid: p.id, labels: { app: "web" }, creationTimestamp: p.createdAt });
    expect(k.spec.nodeName).toBe("node-a");
    expect(k.spec.restartPolicy).toBe("Always");
    expect(k.status.phase).toBe("Running");
    expect(k.status.podIP).toBe("10.9.0.5");
    expect(k.status.containerStatuses).toEqual(p.containerStatuses);
    expect(k.status.conditions).toEqual(p.conditions);
  });

  it("writes resources as Kubernetes quantity strings and leaves empty fields out", () => {
    const k = toKubePod(pod()) as { spec: { containers: Record<string, unknown>[] } };
    expect(k.spec.containers[0]).toEqual({
      name: "main",
      image: "busybox",
      command: ["sleep", "3600"],
      resources: { limits: { cpu: "250m", memory: "64Mi" }, requests: { cpu: "250m", memory: "64Mi" } },
    });
  });

  it("keeps the placement message out of status (describe has it); a failure keeps its reason", () => {
    expect((toKubePod(pod()) as any).status.message).toBeUndefined();
    const failed = toKubePod(pod({ status: "Failed", phase: "Failed", reason: "Error", message: "exit 1" })) as any;
    expect(failed.status).toMatchObject({ phase: "Failed", reason: "Error", message: "exit 1" });
  });

  it("a Pending pod nobody reported on says why in PodScheduled=False", () => {
    const k = toKubePod(pod({ status: "Pending", phase: null, nodeName: null, conditions: [], containerStatuses: [], message: "0/2 nodes fit" })) as any;
    expect(k.status.phase).toBe("Pending");
    expect(k.status.conditions).toEqual([{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/2 nodes fit" }]);
    expect(k.spec.nodeName).toBeUndefined();
  });

  // The phase the node reported wins; before that, Kube-9's status read as the nearest phase.
  const phases: [Partial<PodDTO>, string][] = [
    [{ phase: "Succeeded", status: "Running" }, "Succeeded"],
    [{ phase: null, status: "Scheduled" }, "Pending"],
    [{ phase: null, status: "Running" }, "Running"],
    [{ phase: null, status: "Terminating" }, "Pending"],
    [{ phase: null, status: "Failed" }, "Failed"],
  ];
  it.each(phases)("phase of %j is %s", (over, phase) => {
    expect(podPhaseOf(pod(over))).toBe(phase);
  });
});

describe("QoS class", () => {
  const c = spec().containers[0]!;
  const cases: [string, Parameters<typeof spec>[0], string][] = [
    ["limits equal requests", {}, "Guaranteed"],
    ["nothing set", { containers: [{ ...c, requests: {}, limits: {} }] }, "BestEffort"],
    ["request below limit", { containers: [{ ...c, requests: { cpuMilli: 100, memoryMiB: 64 } }] }, "Burstable"],
    ["no memory limit", { containers: [{ ...c, limits: { cpuMilli: 250 }, requests: { cpuMilli: 250 } }] }, "Burstable"],
  ];
  it.each(cases)("%s: %s", (_why, over, qos) => {
    expect(qosClass(spec(over))).toBe(qos);
  });
});

describe("a node as a v1 Node", () => {
  it("has capacity as quantities, a Ready condition and the role label kubectl reads", () => {
    const k = toKubeNode(node({ role: "master" })) as any;
    expect(k).toMatchObject({ apiVersion: "v1", kind: "Node", metadata: { name: "node-a" } });
    expect(k.metadata.labels).toEqual({ zone: "a", "node-role.kubernetes.io/control-plane": "" });
    expect(k.status.capacity).toEqual({ cpu: "4", memory: "16Gi" });
    expect(k.status.conditions[0]).toMatchObject({ type: "Ready", status: "True" });
    expect(k.status.nodeInfo).toEqual({ containerRuntimeVersion: "process" });
  });

  it("a node whose heartbeats stopped is Ready=Unknown; a cordoned one unschedulable", () => {
    expect((toKubeNode(node({ status: "Suspect" })) as any).status.conditions[0].status).toBe("Unknown");
    expect((toKubeNode(node({ status: "Cordoned" })) as any).spec).toEqual({ unschedulable: true });
  });
});

it("a list is a v1 List with items", () => {
  expect(kubeList([1, 2])).toEqual({ apiVersion: "v1", kind: "List", items: [1, 2], metadata: { resourceVersion: "" } });
});
