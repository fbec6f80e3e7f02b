// metav1.LabelSelector read from a manifest and validated as Kubernetes' ValidateLabelSelector does (operator,
// values present or forbidden by operator, label keys and values), with the label rules pods and namespaces use.

import { isValidLabelKey, isValidLabelValue, LABEL_KEY_RULE, LABEL_VALUE_RULE } from "../contracts.js";
import { child, type FieldErrors } from "../pods/field-errors.js";
import type { LabelSelector, LabelSelectorRequirement, SelectorOperator } from "./types.js";

const labelKeyProblem = (key: string) => (isValidLabelKey(key) ? undefined : LABEL_KEY_RULE);
const labelValueProblem = (value: string) => (isValidLabelValue(value) ? undefined : LABEL_VALUE_RULE);

function readRequirement(errs: FieldErrors, value: unknown, path: string): LabelSelectorRequirement | undefined {
  const req = errs.object(value, path, ["key", "operator", "values"]);
  if (!req) return undefined;
  const before = errs.list.length;
  const key = errs.string(req.key, child(path, "key"), true);
  if (key !== undefined && !isValidLabelKey(key)) errs.invalid(child(path, "key"), key, LABEL_KEY_RULE);
  const values = errs.strings(req.values, child(path, "values"));
  const operator = req.operator;
  if (operator === "In" || operator === "NotIn") {
    if (values.length === 0) errs.required(child(path, "values"), "must be specified when `operator` is 'In' or 'NotIn'");
  } else if (operator === "Exists" || operator === "DoesNotExist") {
    if (values.length > 0) {
      errs.forbidden(child(path, "values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    }
  } else {
    errs.invalid(child(path, "operator"), operator ?? "", "not a valid selector operator");
  }
  values.forEach((v, i) => {
    if (!isValidLabelValue(v)) errs.invalid(`${child(path, "values")}[${i}]`, v, LABEL_VALUE_RULE);
  });
  if (errs.list.length > before || key === undefined) return undefined;
  return { key, operator: operator as SelectorOperator, values };
}

/** Reads a label selector; undefined when absent (null counts as absent, as in Kubernetes' JSON) or invalid. */
export function readLabelSelector(errs: FieldErrors, value: unknown, path: string): LabelSelector | undefined {
  if (value === undefined || value === null) return undefined;
  const sel = errs.object(value, path, ["matchLabels", "matchExpressions"]);
  if (!sel) return undefined;
  const matchLabels = errs.stringMap(sel.matchLabels, child(path, "matchLabels"), labelKeyProblem, labelValueProblem);
  const matchExpressions: LabelSelectorRequirement[] = [];
  (errs.array(sel.matchExpressions, child(path, "matchExpressions")) ?? []).forEach((item, i) => {
    const req = readRequirement(errs, item, `${child(path, "matchExpressions")}[${i}]`);
    if (req) matchExpressions.push(req);
  });
  return { matchLabels, matchExpressions };
}

/** A selector in manifest form, empty parts left out as `kubectl get -o yaml` does ({} for the empty selector). */
export function selectorToManifest(sel: LabelSelector): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Object.keys(sel.matchLabels).length > 0) out.matchLabels = { ...sel.matchLabels };
  if (sel.matchExpressions.length > 0) {
    out.matchExpressions = sel.matchExpressions.map((r) => ({
      key: r.key,
      operator: r.operator,
      ...(r.values.length > 0 ? { values: [...r.values] } : {}),
    }));
  }
  return out;
}
