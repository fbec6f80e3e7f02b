// A node group's defaults and its validation. Errors name the manifest's paths (spec.minSize,
// spec.scaleDown.unneededTime, ...) whether the group came from YAML or from `kube9 nodegroup create` flags,
// so one wording serves both and the manifest reader can leave every range rule to this file.

import { LIMITS } from "../config.js";
import { isValidLabelKey, isValidLabelValue, LABEL_KEY_RULE, LABEL_VALUE_RULE, NAME_RULE } from "../contracts.js";
import { FieldErrors, type FieldError } from "../pods/field-errors.js";
import { formatCpuQuantity, formatMemoryQuantity } from "../pods/quantity.js";
import { RUNTIME_KINDS } from "../types.js";
import { setting } from "./format.js";
import { NODE_GROUP_LABEL, type NodeGroupSettings, type NodeGroupSpec } from "./types.js";

/** The values a group gets for every setting it leaves out (see the field comments in types.ts). */
export const DEFAULT_GROUP_SETTINGS: Readonly<NodeGroupSettings> = Object.freeze({
  scaleUpDelayMs: 2_000,
  unneededTimeMs: 30_000,
  lowWaterMark: 0.5,
  highWaterMark: 0.8,
  highDurationMs: 10_000,
  loadMetric: "both",
  scaleDownDelayAfterAddMs: 10_000,
  scaleUpCooldownMs: 10_000,
  maxScaleDownParallel: 1,
  nodeReadyTimeoutMs: 30_000,
  backoffMs: 10_000,
});

export const LOAD_METRICS = ["usage", "allocation", "both"] as const satisfies readonly NodeGroupSettings["loadMetric"][];

/** Memory a template gets per core when none is given: the same ratio `kube9 node add` uses. */
export const TEMPLATE_MIB_PER_CORE = 4096;

/** Node names are `<group>-<5 characters>` and must stay valid names (63), with room to spare. */
export const MAX_GROUP_NAME_LENGTH = 40;
/** Nodes per group: far beyond what one machine simulates, low enough that a typo (1e6) is caught. */
export const MAX_GROUP_SIZE = 1000;
/** Longest duration any setting may have. */
export const MAX_SETTING_MS = 24 * 3600 * 1000;
export const MAX_SCALE_DOWN_PARALLEL = 100;

type SettingKind = "duration" | "ratio" | "metric" | "parallel";

/** Where each setting lives in the manifest, and what kind of value it holds. */
export interface SettingField {
  key: keyof NodeGroupSettings;
  /** spec.scaleUp, spec.scaleDown, or spec itself. */
  section: "scaleUp" | "scaleDown" | null;
  field: string;
  kind: SettingKind;
}

/** Every setting's manifest field, in the order `-o yaml` prints them. */
export const SETTING_FIELDS: readonly SettingField[] = [
  { key: "scaleUpDelayMs", section: "scaleUp", field: "delay", kind: "duration" },
  { key: "highWaterMark", section: "scaleUp", field: "loadHighWaterMark", kind: "ratio" },
  { key: "highDurationMs", section: "scaleUp", field: "loadDuration", kind: "duration" },
  { key: "loadMetric", section: "scaleUp", field: "loadMetric", kind: "metric" },
  { key: "scaleUpCooldownMs", section: "scaleUp", field: "cooldown", kind: "duration" },
  { key: "unneededTimeMs", section: "scaleDown", field: "unneededTime", kind: "duration" },
  { key: "lowWaterMark", section: "scaleDown", field: "utilizationThreshold", kind: "ratio" },
  { key: "scaleDownDelayAfterAddMs", section: "scaleDown", field: "delayAfterAdd", kind: "duration" },
  { key: "maxScaleDownParallel", section: "scaleDown", field: "maxParallel", kind: "parallel" },
  { key: "nodeReadyTimeoutMs", section: null, field: "nodeReadyTimeout", kind: "duration" },
  { key: "backoffMs", section: null, field: "backoff", kind: "duration" },
];

/** The manifest path of a setting: "spec.scaleDown.unneededTime". */
export function settingPath(key: keyof NodeGroupSettings): string {
  const f = SETTING_FIELDS.find((s) => s.key === key)!;
  return f.section === null ? `spec.${f.field}` : `spec.${f.section}.${f.field}`;
}

export const GROUP_PATHS = {
  name: "metadata.name",
  min: "spec.minSize",
  max: "spec.maxSize",
  priority: "spec.priority",
  cpu: "spec.template.cpu",
  memory: "spec.template.memory",
  runtime: "spec.template.runtime",
  labels: "spec.template.labels",
} as const;

const P = GROUP_PATHS;

function isWhole(n: unknown): n is number {
  return typeof n === "number" && Number.isSafeInteger(n);
}

function checkName(errs: FieldErrors, name: unknown): void {
  if (typeof name !== "string" || name === "") return errs.required(P.name);
  if (name.length > MAX_GROUP_NAME_LENGTH) {
    errs.invalid(P.name, name, `must be no more than ${MAX_GROUP_NAME_LENGTH} characters (node names add "-" and 5 more)`);
  } else if (!LIMITS.namePattern.test(name)) {
    errs.invalid(P.name, name, `must consist of ${NAME_RULE}`);
  }
}

function checkSizes(errs: FieldErrors, spec: NodeGroupSpec, bad: ReadonlySet<string>): void {
  const range = `must be a whole number between 0 and ${MAX_GROUP_SIZE}`;
  const minOk = bad.has(P.min) || (isWhole(spec.min) && spec.min >= 0 && spec.min <= MAX_GROUP_SIZE);
  const maxOk = bad.has(P.max) || (isWhole(spec.max) && spec.max >= 0 && spec.max <= MAX_GROUP_SIZE);
  if (!minOk) errs.invalid(P.min, spec.min, range);
  if (!maxOk) errs.invalid(P.max, spec.max, range);
  if (minOk && maxOk && !bad.has(P.min) && !bad.has(P.max) && spec.max < spec.min) {
    errs.invalid(P.max, spec.max, `must be greater than or equal to ${P.min} (${spec.min})`);
  }
  if (!bad.has(P.priority) && !isWhole(spec.priority)) errs.invalid(P.priority, spec.priority, "must be an integer");
}

function checkTemplate(errs: FieldErrors, spec: NodeGroupSpec, bad: ReadonlySet<string>): void {
  const { capacity, runtime, labels } = spec.template;
  const maxMilli = LIMITS.maxCpuCores * 1000;
  if (!bad.has(P.cpu) && !(isWhole(capacity.cpuMilli) && capacity.cpuMilli >= 1 && capacity.cpuMilli <= maxMilli)) {
    const shown = isWhole(capacity.cpuMilli) && capacity.cpuMilli >= 0 ? formatCpuQuantity(capacity.cpuMilli) : capacity.cpuMilli;
    errs.invalid(P.cpu, shown, `must be at least 1m and at most ${LIMITS.maxCpuCores} cores`);
  }
  const mib = capacity.memoryMiB;
  if (!bad.has(P.memory) && !(isWhole(mib) && mib >= 1 && mib <= LIMITS.maxMemoryMiB)) {
    const shown = isWhole(mib) && mib >= 0 ? formatMemoryQuantity(mib) : mib;
    errs.invalid(P.memory, shown, `must be at least 1Mi and at most ${formatMemoryQuantity(LIMITS.maxMemoryMiB)}`);
  }
  if (!bad.has(P.runtime) && !(RUNTIME_KINDS as readonly unknown[]).includes(runtime)) {
    errs.unsupported(P.runtime, runtime, RUNTIME_KINDS);
  }
  if (bad.has(P.labels)) return;
  const keys = Object.keys(labels);
  for (const key of keys) {
    const value = labels[key];
    if (key === NODE_GROUP_LABEL) errs.forbidden(`${P.labels}[${key}]`, "set by Kube-9 to the group's name on every node of the group");
    else if (!isValidLabelKey(key)) errs.invalid(P.labels, key, LABEL_KEY_RULE);
    if (typeof value !== "string") errs.invalid(`${P.labels}[${key}]`, value, "must be a string");
    else if (!isValidLabelValue(value)) errs.invalid(`${P.labels}[${key}]`, value, LABEL_VALUE_RULE);
  }
  // The group label takes one of the node's label slots.
  if (keys.length > LIMITS.maxLabels - 1) errs.tooMany(P.labels, keys.length, LIMITS.maxLabels - 1);
}

function checkSetting(errs: FieldErrors, f: SettingField, value: unknown): void {
  const path = settingPath(f.key);
  switch (f.kind) {
    case "duration": {
      const min = f.key === "nodeReadyTimeoutMs" ? 1000 : 0;
      if (!isWhole(value) || value < min || value > MAX_SETTING_MS) {
        // A node must get some time to come up: 0 would remove every new node at once.
        const floor = min === 0 ? "0" : setting(min);
        errs.invalid(path, isWhole(value) && value >= 0 ? setting(value) : value, `must be a duration from ${floor} to 24h`);
      }
      return;
    }
    case "ratio":
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 1) {
        errs.invalid(path, value, "must be a number from 0 to 1 (a share of the node's capacity: 0.8 is 80%)");
      }
      return;
    case "metric":
      if (!(LOAD_METRICS as readonly unknown[]).includes(value)) errs.unsupported(path, value, LOAD_METRICS);
      return;
    case "parallel":
      if (!isWhole(value) || value < 1 || value > MAX_SCALE_DOWN_PARALLEL) {
        errs.invalid(path, value, `must be a whole number from 1 to ${MAX_SCALE_DOWN_PARALLEL}`);
      }
  }
}

function checkSettings(errs: FieldErrors, s: NodeGroupSettings, bad: ReadonlySet<string>): void {
  for (const f of SETTING_FIELDS) if (!bad.has(settingPath(f.key))) checkSetting(errs, f, s[f.key]);
  const high = settingPath("highWaterMark");
  const low = settingPath("lowWaterMark");
  if (errs.list.some((e) => e.field === high || e.field === low) || bad.has(high) || bad.has(low)) return;
  // Otherwise a node added for load is unneeded at once, and the group flaps between the two.
  if (s.highWaterMark > 0 && s.highWaterMark <= s.lowWaterMark) {
    errs.invalid(high, s.highWaterMark, `must be greater than ${low} (${s.lowWaterMark}), or 0 to turn load scale-up off`);
  }
}

/**
 * Adds every rule broken by the group to errs, skipping fields in `bad` (already reported by the
 * manifest reader with a better message, and holding a placeholder that would only add noise).
 */
export function checkNodeGroup(errs: FieldErrors, spec: NodeGroupSpec, bad: ReadonlySet<string> = new Set()): void {
  if (!bad.has(P.name)) checkName(errs, spec.name);
  checkSizes(errs, spec, bad);
  checkTemplate(errs, spec, bad);
  checkSettings(errs, spec.settings, bad);
}

/** Every problem with a node group, each naming its manifest path; [] when valid. */
export function validateNodeGroup(spec: NodeGroupSpec): FieldError[] {
  const errs = new FieldErrors();
  checkNodeGroup(errs, spec);
  return errs.list;
}
