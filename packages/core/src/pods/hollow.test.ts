import { describe, expect, it } from "vitest";
import { hollowPodStatus, imageBaseName } from "./hollow.js";
import type { PodSpec } from "./types.js";

const T = Date.parse("2026-11-29T12:00:00.000Z");

function spec(...images: string[]): PodSpec {
  return {
    containers: images.map((image, i) => ({ name: `c${i}`, image, command: [], args: [], env: [], ports: [], requests: {}, limits: {} })),
    restartPolicy: "Always",
    terminationGracePeriodSeconds: 30,
    nodeSelector: {},
  };
}

describe("imageBaseName", () => {
  it.each([
    ["busybox", "busybox"], // bare name
    ["busybox:1.36", "busybox"], // tag dropped
    ["docker.io/library/busybox:latest", "busybox"], // Docker Hub's library prefix dropped
    ["kube9/workload", "kube9/workload"], // an org/name keeps its org
    ["kube9/workload@sha256:abc", "kube9/workload"], // digest dropped
    ["localhost:5000/app", "localhost:5000/app"], // a registry port is not a tag
  ])("%s -> %s", (image, base) => {
    expect(imageBaseName(image)).toBe(base);
  });
});

describe("hollowPodStatus", () => {
  it("built-in images run and are ready at once: phase Running, Ready True", () => {
    const s = hollowPodStatus("p1", spec("busybox", "kube9/workload:latest"), T - 1000, T);
    // Both images are built in: both Running (startedAt = now), ready.
    expect(s.phase).toBe("Running");
    expect(s.containerStatuses.map((c) => [c.name, Object.keys(c.state)[0], c.ready])).toEqual([
      ["c0", "running", true],
      ["c1", "running", true],
    ]);
    expect(s.conditions.find((c) => c.type === "Ready")?.status).toBe("True");
  });

  it("an unknown image waits with ErrImagePull naming the images that exist: Pending, not Ready", () => {
    const s = hollowPodStatus("p2", spec("busybox", "nginx:1.27"), T - 1000, T);
    // One container never started: Kubernetes keeps the pod Pending.
    expect(s.phase).toBe("Pending");
    const waiting = s.containerStatuses[1]!.state;
    expect(waiting).toEqual({
      waiting: { reason: "ErrImagePull", message: 'image "nginx:1.27" is not built in; images on this node: busybox, kube9/workload' },
    });
    expect(s.conditions.find((c) => c.type === "Ready")?.status).toBe("False");
  });
});
