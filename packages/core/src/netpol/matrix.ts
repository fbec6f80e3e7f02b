// Reachability truth tables as the upstream network-policy e2e tests (test/e2e/network/netpol) and cyclonus print
// them: rows are sources, columns destinations, "ns/pod" names, "." reachable, "X" blocked, tab-separated with "-"
// in the corner. The expected table comes from the policy semantics; an observed one from real connections.

import { allows, podEndpoint, type NetpolNamespace, type NetpolPod } from "./evaluate.js";
import type { NetpolProtocol, NetworkPolicy } from "./types.js";

/**
 * cells[i][j]: can froms[i] connect to tos[j]; null (or undefined) = not known (not probed, or the probe could not
 * run). Null, because a matrix travels as JSON, where an undefined array element becomes null anyway.
 */
export interface ReachabilityMatrix {
  froms: string[];
  tos: string[];
  cells: (boolean | null | undefined)[][];
}

/** One cell of a comparison: `ignored` cells (a pod to itself) never count as wrong, as upstream ignores loopback. */
export interface CellComparison {
  expected: boolean | null | undefined;
  observed: boolean | null | undefined;
  agree: boolean;
  ignored: boolean;
}

export interface MatrixComparison {
  froms: string[];
  tos: string[];
  cells: CellComparison[][];
  correct: number;
  wrong: number;
  ignored: number;
}

/** "ns/name", the row and column names of every matrix. */
export function podString(pod: Pick<NetpolPod, "namespace" | "name">): string {
  return `${pod.namespace}/${pod.name}`;
}

/** The truth table the policies imply for every pod to every pod on one port and protocol. */
export function expectedMatrix(
  pods: readonly NetpolPod[],
  namespaces: readonly NetpolNamespace[],
  policies: readonly NetworkPolicy[],
  port: number,
  protocol: NetpolProtocol,
): ReachabilityMatrix {
  const names = pods.map(podString);
  const cells = pods.map((from) =>
    pods.map((to) => allows(podEndpoint(from), podEndpoint(to), port, protocol, policies, namespaces).allowed),
  );
  return { froms: names, tos: [...names], cells };
}

function table(froms: readonly string[], tos: readonly string[], mark: (i: number, j: number) => string): string {
  const lines = [["-", ...tos].join("\t")];
  froms.forEach((from, i) => lines.push([from, ...tos.map((_, j) => mark(i, j))].join("\t")));
  return lines.join("\n");
}

/** The matrix as upstream's TruthTable.PrettyPrint prints it ("?" for an unknown cell). */
export function formatMatrix(m: ReachabilityMatrix): string {
  return table(m.froms, m.tos, (i, j) => {
    const value = m.cells[i]?.[j];
    return value === undefined || value === null ? "?" : value ? "." : "X";
  });
}

/**
 * Cell by cell, matched by pod name (so both tables may list pods in any order): `observed` against `expected`.
 * Loopback (a pod to itself) is ignored by default, as upstream does: CNIs disagree on it and Kubernetes leaves it open.
 */
export function compareMatrices(
  expected: ReachabilityMatrix,
  observed: ReachabilityMatrix,
  options: { ignoreLoopback?: boolean } = {},
): MatrixComparison {
  const ignoreLoopback = options.ignoreLoopback ?? true;
  const seen = new Map<string, boolean | null | undefined>();
  observed.froms.forEach((from, i) => observed.tos.forEach((to, j) => seen.set(`${from}\n${to}`, observed.cells[i]?.[j])));
  let correct = 0;
  let wrong = 0;
  let ignored = 0;
  const cells = expected.froms.map((from, i) =>
    expected.tos.map((to, j) => {
      const want = expected.cells[i]?.[j];
      const got = seen.get(`${from}\n${to}`);
      const cell = { expected: want, observed: got, agree: want !== undefined && want !== null && want === got, ignored: ignoreLoopback && from === to };
      if (cell.ignored) ignored++;
      else if (cell.agree) correct++;
      else wrong++;
      return cell;
    }),
  );
  return { froms: [...expected.froms], tos: [...expected.tos], cells, correct, wrong, ignored };
}

/**
 * The comparison as upstream prints it ("." where observed = expected, "X" where they differ, "?" where nothing was
 * observed), under a summary line in upstream's words.
 */
export function formatComparison(c: MatrixComparison): string {
  const summary = `reachability: correct:${c.correct}, incorrect:${c.wrong}, result=${c.wrong === 0}`;
  const body = table(c.froms, c.tos, (i, j) => {
    const cell = c.cells[i]?.[j];
    if (!cell || cell.observed === undefined || cell.observed === null) return "?";
    return cell.agree ? "." : "X";
  });
  const note = c.ignored > 0 ? [`warning: the results of ${c.ignored} pod->pod cases have been ignored`] : [];
  return [...note, summary, "", body].join("\n");
}
