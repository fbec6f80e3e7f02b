// A NodeGroup manifest (kube9.io/v1) for `kube9 apply`, read strictly as pod manifests are: every error is
// collected with its path and an unknown field is an error. This file reads shapes, quantities and durations;
// the range rules live in settings.ts (validateNodeGroup), shared with groups made from CLI flags.

import { DurationError, parsePromDuration } from "../alerts/duration.js";
import { FieldErrors, type FieldError } from "../pods/field-errors.js";
import { formatCpuQuantity, formatMemoryQuantity, parseCpu, parseMemory, QuantityError } from "../pods/quantity.js";
import { RUNTIME_KINDS, type Labels, type RuntimeKind } from "../types.js";
import { setting } from "./format.js";
import {
  checkNodeGroup,
  DEFAULT_GROUP_SETTINGS,
  GROUP_PATHS as P,
  SETTING_FIELDS,
  settingPath,
  TEMPLATE_MIB_PER_CORE,
  type SettingField,
} from "./settings.js";
import type { NodeGroupSettings, NodeGroupSpec } from "./types.js";

export const NODE_GROUP_API_VERSION = "kube9.io/v1";
export const NODE_GROUP_KIND = "NodeGroup";

/** The manifest form of a group, as `kube9 nodegroup get -o yaml` prints it and `kube9 apply` reads it. */
export interface NodeGroupManifest {
  apiVersion: typeof NODE_GROUP_API_VERSION;
  kind: typeof NODE_GROUP_KIND;
  metadata: { name: string };
  spec: {
    minSize: number;
    maxSize: number;
    priority: number;
    template: { cpu: string | number; memory?: string | number; runtime?: RuntimeKind; labels?: Labels };
    scaleUp?: { delay?: string; loadHighWaterMark?: number; loadDuration?: string; loadMetric?: string; cooldown?: string };
    scaleDown?: { unneededTime?: string; utilizationThreshold?: number; delayAfterAdd?: string; maxParallel?: number };
    nodeReadyTimeout?: string;
    backoff?: string;
  };
}

export type NodeGroupManifestResult = { ok: true; group: NodeGroupSpec } | { ok: false; errors: FieldError[] };

const ROOT_FIELDS = ["apiVersion", "kind", "metadata", "spec"];
const SPEC_FIELDS = ["minSize", "maxSize", "priority", "template", "scaleUp", "scaleDown", "nodeReadyTimeout", "backoff"];
const TEMPLATE_FIELDS = ["cpu", "memory", "runtime", "labels"];
const sectionFields = (section: SettingField["section"]) => SETTING_FIELDS.filter((f) => f.section === section).map((f) => f.field);

/** The reader's state: errors, plus the paths that failed to read (their range rules are then skipped). */
class Reader {
  readonly errs = new FieldErrors();
  readonly bad = new Set<string>();

  /** Runs read(); if it reported anything, path is marked bad. */
  at<T>(path: string, read: () => T): T {
    const before = this.errs.list.length;
    const value = read();
    if (this.errs.list.length > before) this.bad.add(path);
    return value;
  }

  integer(value: unknown, path: string, fallback: number | undefined): number {
    return this.at(path, () => {
      if (value === undefined || value === null) {
        if (fallback === undefined) this.errs.required(path);
        return fallback ?? 0;
      }
      if (typeof value === "number" && Number.isSafeInteger(value)) return value;
      this.errs.invalid(path, value, "must be an integer");
      return 0;
    });
  }

  quantity(value: unknown, path: string, parse: (q: string | number) => number): number | undefined {
    return this.at(path, () => {
      if (typeof value !== "string" && typeof value !== "number") {
        this.errs.invalid(path, value, 'must be a quantity string or number ("2", "500m", "4Gi")');
        return undefined;
      }
      return this.parsed(value, path, () => parse(value), undefined);
    });
  }

  setting(f: SettingField, value: unknown): unknown {
    const path = settingPath(f.key);
    const fallback = DEFAULT_GROUP_SETTINGS[f.key];
    if (value === undefined || value === null) return fallback;
    return this.at(path, () => {
      if (f.kind === "duration") return this.duration(value, path, fallback as number);
      if (f.kind === "metric") return this.errs.string(value, path) ?? fallback;
      // Ratios and counts are numbers; their ranges are checked with the whole group.
      if (typeof value === "number") return value;
      this.errs.invalid(path, value, "must be a number");
      return fallback;
    });
  }

  private duration(value: unknown, path: string, fallback: number): number {
    // YAML reads `0` as a number; a bare 0 needs no unit, as in Prometheus.
    if (value === 0) return 0;
    if (typeof value !== "string") {
      this.errs.invalid(path, value, 'must be a duration string such as "30s" or "1m30s"');
      return fallback;
    }
    return this.parsed(value, path, () => parsePromDuration(value), fallback);
  }

  /** parse(), or the fallback with the parser's own words when it refuses the value. */
  private parsed<T, F>(value: unknown, path: string, parse: () => T, fallback: F): T | F {
    try {
      return parse();
    } catch (e) {
      if (!(e instanceof QuantityError) && !(e instanceof DurationError)) throw e;
      this.errs.invalid(path, value, e.detail);
      return fallback;
    }
  }
}

function readName(r: Reader, value: unknown): string {
  if (value === undefined || value === null) {
    r.errs.required(P.name);
    r.bad.add(P.name);
    return "";
  }
  const meta = r.errs.object(value, "metadata", ["name"]);
  return r.at(P.name, () => r.errs.string(meta?.name, P.name, true)) ?? "";
}

function readTemplate(r: Reader, value: unknown, defaultRuntime: RuntimeKind): NodeGroupSpec["template"] {
  let t: Record<string, unknown> | undefined;
  if (value === undefined || value === null) r.errs.required("spec.template");
  else t = r.errs.object(value, "spec.template", TEMPLATE_FIELDS);
  // Without a template there is nothing more to say about its fields than that it is missing.
  if (!t) {
    for (const path of [P.cpu, P.memory, P.runtime, P.labels]) r.bad.add(path);
    return { capacity: { cpuMilli: 0, memoryMiB: 0 }, runtime: defaultRuntime, labels: {} };
  }
  let cpuMilli: number | undefined;
  if (t.cpu === undefined || t.cpu === null) r.at(P.cpu, () => r.errs.required(P.cpu));
  else cpuMilli = r.quantity(t.cpu, P.cpu, parseCpu);
  let memoryMiB: number | undefined;
  if (t.memory !== undefined && t.memory !== null) memoryMiB = r.quantity(t.memory, P.memory, parseMemory);
  else if (cpuMilli !== undefined) memoryMiB = Math.ceil((cpuMilli * TEMPLATE_MIB_PER_CORE) / 1000);
  // Without a CPU to derive it from, a missing memory has nothing to be checked against.
  else r.bad.add(P.memory);
  const runtime = r.at(P.runtime, () => r.errs.oneOf(t.runtime, P.runtime, RUNTIME_KINDS, defaultRuntime));
  // Not marked bad on a non-string value: stringMap leaves that entry out, and the rest still get their rules.
  const labels = r.errs.stringMap(t.labels, P.labels);
  return { capacity: { cpuMilli: cpuMilli ?? 0, memoryMiB: memoryMiB ?? 0 }, runtime, labels };
}

function readSettings(r: Reader, spec: Record<string, unknown>): NodeGroupSettings {
  const sections: Record<string, Record<string, unknown> | undefined> = { "": spec };
  for (const name of ["scaleUp", "scaleDown"] as const) {
    const value = spec[name];
    if (value !== undefined && value !== null) sections[name] = r.errs.object(value, `spec.${name}`, sectionFields(name));
  }
  const out: Record<string, unknown> = {};
  for (const f of SETTING_FIELDS) out[f.key] = r.setting(f, sections[f.section ?? ""]?.[f.field]);
  return out as unknown as NodeGroupSettings;
}

/**
 * Reads a NodeGroup manifest (already parsed from YAML/JSON) strictly into a group, or every error found,
 * each naming its path. Omitted settings take DEFAULT_GROUP_SETTINGS; an omitted template memory is 4 GiB
 * per core, and an omitted runtime `defaultRuntime` (the API passes the one its nodes get by default).
 */
export function parseNodeGroupManifest(doc: unknown, defaultRuntime: RuntimeKind = "process"): NodeGroupManifestResult {
  const r = new Reader();
  const root = r.errs.object(doc, "", ROOT_FIELDS);
  if (!root) return { ok: false, errors: r.errs.list };
  const apiVersion = r.errs.string(root.apiVersion, "apiVersion", true);
  if (apiVersion !== undefined && apiVersion !== NODE_GROUP_API_VERSION) r.errs.unsupported("apiVersion", apiVersion, [NODE_GROUP_API_VERSION]);
  const kind = r.errs.string(root.kind, "kind", true);
  if (kind !== undefined && kind !== NODE_GROUP_KIND) r.errs.unsupported("kind", kind, [NODE_GROUP_KIND]);
  const name = readName(r, root.metadata);
  if (root.spec === undefined || root.spec === null) r.errs.required("spec");
  const spec = root.spec === undefined || root.spec === null ? undefined : r.errs.object(root.spec, "spec", SPEC_FIELDS);
  // Without a spec, "spec: Required value" says all there is to say about its fields.
  if (!spec) return { ok: false, errors: r.errs.list };
  const group: NodeGroupSpec = {
    name,
    min: r.integer(spec.minSize, P.min, undefined),
    max: r.integer(spec.maxSize, P.max, undefined),
    priority: r.integer(spec.priority, P.priority, 0),
    template: readTemplate(r, spec.template, defaultRuntime),
    settings: readSettings(r, spec),
  };
  checkNodeGroup(r.errs, group, r.bad);
  return r.errs.list.length > 0 ? { ok: false, errors: r.errs.list } : { ok: true, group };
}

/** The manifest of a group, for `-o yaml`: every setting spelled out, so what the group does is all on the page. */
export function nodeGroupToManifest(spec: NodeGroupSpec): NodeGroupManifest {
  const sections: Record<string, Record<string, unknown>> = { scaleUp: {}, scaleDown: {}, "": {} };
  for (const f of SETTING_FIELDS) {
    const value = spec.settings[f.key];
    sections[f.section ?? ""]![f.field] = f.kind === "duration" ? setting(value as number) : value;
  }
  const { capacity, runtime, labels } = spec.template;
  const template: NodeGroupManifest["spec"]["template"] = {
    cpu: formatCpuQuantity(capacity.cpuMilli),
    memory: formatMemoryQuantity(capacity.memoryMiB),
    runtime,
  };
  if (Object.keys(labels).length > 0) template.labels = { ...labels };
  return {
    apiVersion: NODE_GROUP_API_VERSION,
    kind: NODE_GROUP_KIND,
    metadata: { name: spec.name },
    spec: {
      minSize: spec.min,
      maxSize: spec.max,
      priority: spec.priority,
      template,
      scaleUp: sections.scaleUp,
      scaleDown: sections.scaleDown,
      ...sections[""],
    },
  };
}
