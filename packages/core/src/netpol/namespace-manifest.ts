// A Namespace manifest (v1) read strictly, as Kubernetes validates one: a DNS-label name, valid labels, and the
// kubernetes.io/metadata.name label (which Kubernetes sets itself) either absent or equal to the name.

import { LIMITS } from "../config.js";
import { isValidLabelKey, isValidLabelValue, LABEL_KEY_RULE, LABEL_VALUE_RULE } from "../contracts.js";
import { FieldErrors, type FieldError } from "../pods/field-errors.js";
import type { Labels } from "../types.js";
import { NAMESPACE_NAME_LABEL } from "./types.js";

export const NAMESPACE_KIND = "Namespace";
const LABEL_RULE = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";

export interface NamespaceSpec {
  name: string;
  /** The labels as given, without kubernetes.io/metadata.name (always derived from the name). */
  labels: Labels;
}

export type NamespaceManifestResult = { ok: true; namespace: NamespaceSpec } | { ok: false; errors: FieldError[] };

/** Why a namespace name is not allowed (Kubernetes: an RFC 1123 label of at most 63 characters), or undefined. */
export function namespaceNameProblem(name: string): string | undefined {
  if (name.length > LIMITS.maxNameLength) return `must be no more than ${LIMITS.maxNameLength} characters`;
  return LIMITS.namePattern.test(name) ? undefined : LABEL_RULE;
}

/** A namespace's name and labels checked as a manifest's would be (`kube9 create namespace`, `label`). */
export function validateNamespace(name: string, labels: unknown): NamespaceManifestResult {
  const errs = new FieldErrors();
  const clean = checkNamespace(errs, name, labels);
  return errs.list.length > 0 ? { ok: false, errors: errs.list } : { ok: true, namespace: { name, labels: clean } };
}

function checkNamespace(errs: FieldErrors, name: string | undefined, labels: unknown): Labels {
  if (name !== undefined) {
    const problem = namespaceNameProblem(name);
    if (problem) errs.invalid("metadata.name", name, problem);
  }
  const keyProblem = (key: string) => (isValidLabelKey(key) ? undefined : LABEL_KEY_RULE);
  const valueProblem = (v: string) => (isValidLabelValue(v) ? undefined : LABEL_VALUE_RULE);
  const out = errs.stringMap(labels, "metadata.labels", keyProblem, valueProblem);
  const count = Object.keys(out).length;
  if (count > LIMITS.maxLabels) errs.tooMany("metadata.labels", count, LIMITS.maxLabels);
  const own = out[NAMESPACE_NAME_LABEL];
  if (own !== undefined && name !== undefined && own !== name) {
    errs.invalid(`metadata.labels[${NAMESPACE_NAME_LABEL}]`, own, `must be "${name}" (Kubernetes sets it to the namespace's name)`);
  }
  delete out[NAMESPACE_NAME_LABEL];
  return out;
}

/** Reads a Namespace manifest strictly into its name and labels, or all its errors. */
export function parseNamespaceManifest(doc: unknown): NamespaceManifestResult {
  const errs = new FieldErrors();
  const root = errs.object(doc, "", ["apiVersion", "kind", "metadata", "spec", "status"]);
  if (!root) return { ok: false, errors: errs.list };
  const apiVersion = errs.string(root.apiVersion, "apiVersion", true);
  if (apiVersion !== undefined && apiVersion !== "v1") errs.unsupported("apiVersion", apiVersion, ["v1"]);
  const kind = errs.string(root.kind, "kind", true);
  if (kind !== undefined && kind !== NAMESPACE_KIND) errs.unsupported("kind", kind, [NAMESPACE_KIND]);
  const meta = errs.object(root.metadata ?? {}, "metadata", ["name", "labels", "annotations"]) ?? {};
  const name = errs.string(meta.name, "metadata.name", true);
  const labels = checkNamespace(errs, name, meta.labels);
  // spec.finalizers and status are Kubernetes' own bookkeeping: accepted (kubectl get -o yaml prints them), not used.
  if (errs.list.length > 0 || name === undefined) return { ok: false, errors: errs.list };
  return { ok: true, namespace: { name, labels } };
}

/** The manifest `kubectl get namespace -o yaml` prints, with the name label Kubernetes adds. */
export function namespaceToManifest(ns: NamespaceSpec & { status?: string }): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: NAMESPACE_KIND,
    metadata: { name: ns.name, labels: { ...ns.labels, [NAMESPACE_NAME_LABEL]: ns.name } },
    spec: { finalizers: ["kubernetes"] },
    status: { phase: ns.status ?? "Active" },
  };
}
