// The text of `kube9 net explain`: for each side of one connection, which policies isolate it and which rule lets
// the connection through, or, rule by rule, why none does. It reads the same evaluation `allows` uses, so the
// explanation cannot disagree with the verdict.

import { connectionDetail, endpointName, type ConnectionQuery, type DirectionDetail, type Endpoint } from "./evaluate.js";
import { policyRef, type PolicyType } from "./types.js";

function describeSide(
  direction: PolicyType,
  subject: Endpoint,
  detail: DirectionDetail | undefined,
  peer: Endpoint,
  target: string,
): { allowed: boolean; lines: string[] } {
  const side = direction === "Ingress" ? "ingress to" : "egress from";
  const name = endpointName(subject);
  if (!detail) return { allowed: true, lines: [`${side} ${name}: allowed (not a pod: no NetworkPolicy applies to it)`] };
  if (detail.selecting.length === 0) {
    const ns = subject.kind === "pod" ? subject.pod.namespace : "";
    return {
      allowed: true,
      lines: [`${side} ${name}: allowed (not isolated: no NetworkPolicy in namespace ${ns} selects it for ${direction})`],
    };
  }
  const isolatedBy = `isolated for ${direction} by ${detail.selecting.map(policyRef).join(", ")}`;
  const key = direction === "Ingress" ? "ingress" : "egress";
  const allowing = detail.rules.filter((r) => r.reasons.length === 0);
  if (allowing.length > 0) {
    const by = allowing.map((r) => `${r.policy} ${key}[${r.rule}]`).join(", ");
    return { allowed: true, lines: [`${side} ${name}: allowed by ${by} (${isolatedBy})`] };
  }
  const towards = direction === "Ingress" ? "from" : "to";
  const lines = [`${side} ${name}: blocked: ${isolatedBy}, and no rule allows ${target} ${towards} ${endpointName(peer)}`];
  for (const p of detail.selecting) {
    const rules = detail.rules.filter((r) => r.policy === policyRef(p));
    if (rules.length === 0) lines.push(`  ${policyRef(p)}: no ${key} rules (allows no ${key})`);
    for (const r of rules) lines.push(`  ${r.policy} ${key}[${r.rule}]:`, ...r.reasons.map((why) => `    ${why}`));
  }
  return { allowed: false, lines };
}

/** The explanation `kube9 net explain` prints for one connection: a verdict line, then one block per side. */
export function explainConnection(...query: ConnectionQuery): string {
  const [from, to, port, protocol] = query;
  const target = `${port}/${protocol}`;
  const detail = connectionDetail(...query);
  const egress = describeSide("Egress", from, detail.egress, to, target);
  const ingress = describeSide("Ingress", to, detail.ingress, from, target);
  const blockedBy = [!egress.allowed ? "egress" : undefined, !ingress.allowed ? "ingress" : undefined].filter(Boolean);
  const verdict = blockedBy.length === 0 ? "allowed" : `blocked (by ${blockedBy.join(" and ")})`;
  return [`${endpointName(from)} -> ${endpointName(to)} ${target}: ${verdict}`, ...egress.lines, ...ingress.lines].join("\n");
}
