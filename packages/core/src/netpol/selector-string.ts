// Label selectors as kubectl takes them (-l / --selector): "app=web,tier!=db,env in (a,b),env notin (c),ready,!gone".
// The same grammar as Kubernetes' labels.Parse for the forms people write; a clear error otherwise.

import { isValidLabelKey, isValidLabelValue, LABEL_KEY_RULE, LABEL_VALUE_RULE } from "../contracts.js";
import type { LabelSelector, LabelSelectorRequirement } from "./types.js";

export type SelectorParseResult = { ok: true; selector: LabelSelector } | { ok: false; error: string };

/** Splits on commas outside parentheses. */
function splitTop(text: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")") {
      if (--depth < 0) return undefined;
    } else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return undefined;
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

function checkKey(key: string): string | undefined {
  return isValidLabelKey(key) ? undefined : `invalid label key "${key}": ${LABEL_KEY_RULE}`;
}

function checkValue(value: string): string | undefined {
  return isValidLabelValue(value) ? undefined : `invalid label value "${value}": ${LABEL_VALUE_RULE}`;
}

/** Parses a kubectl label selector; the empty string selects everything. */
export function parseSelectorString(text: string): SelectorParseResult {
  const selector: LabelSelector = { matchLabels: {}, matchExpressions: [] };
  if (text.trim() === "") return { ok: true, selector };
  const parts = splitTop(text);
  if (!parts) return { ok: false, error: `unbalanced parentheses in selector "${text}"` };
  for (const part of parts) {
    const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(part);
    let req: LabelSelectorRequirement | undefined;
    let problem: string | undefined;
    if (set) {
      const [, key, op, list] = set as unknown as [string, string, string, string];
      const values = list.split(",").map((v) => v.trim()).filter((v) => v !== "");
      if (values.length === 0) problem = `"${part}": a set needs at least one value`;
      problem ??= checkKey(key) ?? values.map(checkValue).find((p) => p !== undefined);
      req = { key, operator: op === "in" ? "In" : "NotIn", values };
    } else {
      const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
      if (eq) {
        const [, key, op, value] = eq as unknown as [string, string, string, string];
        problem = checkKey(key) ?? checkValue(value);
        if (op === "!=") req = { key, operator: "NotIn", values: [value] };
        else if (!problem) selector.matchLabels[key] = value;
      } else if (/^!\s*\S+$/.test(part)) {
        const key = part.slice(1).trim();
        problem = checkKey(key);
        req = { key, operator: "DoesNotExist", values: [] };
      } else if (/^\S+$/.test(part)) {
        problem = checkKey(part);
        req = { key: part, operator: "Exists", values: [] };
      } else {
        problem = `cannot read "${part}": use key=value, key!=value, key in (a,b), key notin (a,b), key or !key`;
      }
    }
    if (problem) return { ok: false, error: `selector "${text}": ${problem}` };
    if (req) selector.matchExpressions.push(req);
  }
  return { ok: true, selector };
}
