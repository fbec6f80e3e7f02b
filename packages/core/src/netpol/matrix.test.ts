import { describe, expect, it } from "vitest";
import type { NetpolNamespace, NetpolPod } from "./evaluate.js";
import { parseNetworkPolicyManifest } from "./manifest.js";
import { compareMatrices, expectedMatrix, formatComparison, formatMatrix, type ReachabilityMatrix } from "./matrix.js";

const pod = (namespace: string, name: string): NetpolPod => ({ namespace, name, labels: { pod: name }, ports: [] });
const PODS = [pod("x", "a"), pod("x", "b"), pod("y", "a")];
const NAMESPACES: NetpolNamespace[] = [{ name: "x", labels: {} }, { name: "y", labels: {} }];

function denyIngress(namespace: string) {
  const r = parseNetworkPolicyManifest({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "deny", namespace }, spec: {} });
  if (!r.ok) throw new Error("bad fixture");
  return r.policy;
}

describe("expectedMatrix and formatMatrix", () => {
  it("prints upstream's truth table: rows from, columns to, '.' allowed, 'X' blocked", () => {
    // default-deny-ingress in x: every column of an x pod is X, including x/a to itself
    const m = expectedMatrix(PODS, NAMESPACES, [denyIngress("x")], 80, "TCP");
    expect(formatMatrix(m)).toBe(["-\tx/a\tx/b\ty/a", "x/a\tX\tX\t.", "x/b\tX\tX\t.", "y/a\tX\tX\t."].join("\n"));
  });

  it("prints '?' where nothing is known", () => {
    expect(formatMatrix({ froms: ["x/a"], tos: ["x/a", "x/b"], cells: [[true, undefined]] })).toBe("-\tx/a\tx/b\nx/a\t.\t?");
  });
});

describe("compareMatrices", () => {
  const expected: ReachabilityMatrix = {
    froms: ["x/a", "x/b"],
    tos: ["x/a", "x/b"],
    cells: [
      [false, true],
      [false, true],
    ],
  };

  it("matches cells by name, whatever the order, and ignores loopback by default", () => {
    // observed lists the pods the other way round; x/a -> x/a disagrees but is loopback; x/b -> x/a disagrees
    const observed: ReachabilityMatrix = {
      froms: ["x/b", "x/a"],
      tos: ["x/b", "x/a"],
      cells: [
        [true, true],
        [true, true],
      ],
    };
    const c = compareMatrices(expected, observed);
    expect({ correct: c.correct, wrong: c.wrong, ignored: c.ignored }).toEqual({ correct: 1, wrong: 1, ignored: 2 });
    expect(c.cells[1]?.[0]).toEqual({ expected: false, observed: true, agree: false, ignored: false });
    expect(formatComparison(c)).toBe(
      [
        "warning: the results of 2 pod->pod cases have been ignored",
        "reachability: correct:1, incorrect:1, result=false",
        "",
        "-\tx/a\tx/b",
        "x/a\tX\t.",
        "x/b\tX\t.",
      ].join("\n"),
    );
  });

  it("counts loopback when asked to, and a cell never observed as wrong", () => {
    const observed: ReachabilityMatrix = { froms: ["x/a"], tos: ["x/a", "x/b"], cells: [[false, true]] };
    const c = compareMatrices(expected, observed, { ignoreLoopback: false });
    // x/a row agrees; x/b row was never probed
    expect({ correct: c.correct, wrong: c.wrong, ignored: c.ignored }).toEqual({ correct: 2, wrong: 2, ignored: 0 });
    expect(formatComparison(c)).toBe(["reachability: correct:2, incorrect:2, result=false", "", "-\tx/a\tx/b", "x/a\t.\t.", "x/b\t?\t?"].join("\n"));
  });
});
