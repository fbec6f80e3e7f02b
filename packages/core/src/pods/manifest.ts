// A Kubernetes Pod manifest (core/v1) read strictly into Kube-9's normalized PodSpec: every error is collected
// (as kubectl prints them all), unknown fields are errors (kubectl --validate=strict), and Kubernetes'
// defaulting is applied (namespace "default", restartPolicy Always, grace 30 s, requests from limits).

import { LIMITS } from "../config.js";
import { isValidLabelKey, isValidLabelValue, LABEL_KEY_RULE, LABEL_VALUE_RULE } from "../contracts.js";
import { child, FieldErrors, type FieldError } from "./field-errors.js";
import { checkPortNumber, portNameProblems, readProbe } from "./probe-manifest.js";
import { formatCpuQuantity, formatMemoryQuantity, parseCpu, parseMemory, QuantityError } from "./quantity.js";
import {
  DEFAULT_TERMINATION_GRACE_SECONDS,
  RESTART_POLICIES,
  type ContainerPort,
  type ContainerSpec,
  type EnvVar,
  type PodSpec,
  type ResourceAmounts,
} from "./types.js";

/** A pod as read from a manifest: identity and metadata, plus the normalized spec. */
export interface PodManifest {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: PodSpec;
}

export type PodManifestResult = { ok: true; pod: PodManifest } | { ok: false; errors: FieldError[] };

export const DEFAULT_NAMESPACE = "default";

// Kube-9 names pods, namespaces and containers with one rule, Kubernetes' DNS label (the API's LIMITS.namePattern).
const DNS_LABEL_RULE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and " +
  "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is " +
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const ENV_NAME_RULE =
  "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must " +
  "not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation " +
  "is '[-._a-zA-Z][-._a-zA-Z0-9]*')";

const POD_FIELDS = ["apiVersion", "kind", "metadata", "spec"];
const METADATA_FIELDS = ["name", "generateName", "namespace", "labels", "annotations"];
const SPEC_FIELDS = ["containers", "restartPolicy", "terminationGracePeriodSeconds", "nodeSelector"];
const CONTAINER_FIELDS = [
  "name", "image", "command", "args", "env", "ports", "resources", "livenessProbe", "readinessProbe", "startupProbe",
];
const RESOURCE_NAMES = ["cpu", "memory"];

/** Checks a DNS-label name; reports and returns false otherwise. */
function checkDnsLabel(errs: FieldErrors, value: string, path: string): boolean {
  if (value.length > LIMITS.maxNameLength) {
    errs.invalid(path, value, `must be no more than ${LIMITS.maxNameLength} characters`);
    return false;
  }
  if (!LIMITS.namePattern.test(value)) {
    errs.invalid(path, value, DNS_LABEL_RULE);
    return false;
  }
  return true;
}

const labelKeyProblem = (key: string) => (isValidLabelKey(key) ? undefined : LABEL_KEY_RULE);
const labelValueProblem = (value: string) => (isValidLabelValue(value) ? undefined : LABEL_VALUE_RULE);

function readMetadata(errs: FieldErrors, value: unknown): Omit<PodManifest, "spec"> | undefined {
  if (value === undefined || value === null) {
    errs.required("metadata.name", "name is required");
    return undefined;
  }
  const meta = errs.object(value, "metadata", METADATA_FIELDS);
  if (!meta) return undefined;
  // Kube-9 has no server-side name generation; saying so beats "name: Required value" alone.
  if (meta.generateName !== undefined) errs.forbidden("metadata.generateName", "not supported by Kube-9; set metadata.name");
  const name = errs.string(meta.name, "metadata.name", true);
  if (name !== undefined) checkDnsLabel(errs, name, "metadata.name");
  const namespace = errs.string(meta.namespace, "metadata.namespace") ?? DEFAULT_NAMESPACE;
  checkDnsLabel(errs, namespace, "metadata.namespace");
  const labels = errs.stringMap(meta.labels, "metadata.labels", labelKeyProblem, labelValueProblem);
  const labelCount = Object.keys(labels).length;
  if (labelCount > LIMITS.maxLabels) errs.tooMany("metadata.labels", labelCount, LIMITS.maxLabels);
  const annotations = errs.stringMap(meta.annotations, "metadata.annotations", labelKeyProblem);
  return { name: name ?? "", namespace, labels, annotations };
}

/** Reads one of requests/limits: each quantity in Kube-9 units, absent when not given. */
function readAmounts(errs: FieldErrors, value: unknown, path: string): ResourceAmounts {
  if (value === undefined || value === null) return {};
  const amounts = errs.object(value, path, RESOURCE_NAMES);
  if (!amounts) return {};
  const out: ResourceAmounts = {};
  const read = (key: "cpu" | "memory", parse: (q: string | number) => number): number | undefined => {
    const raw = amounts[key];
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== "string" && typeof raw !== "number") {
      errs.invalid(child(path, key), raw, "must be a quantity string or number");
      return undefined;
    }
    try {
      return parse(raw);
    } catch (e) {
      if (!(e instanceof QuantityError)) throw e;
      errs.invalid(child(path, key), raw, e.detail);
      return undefined;
    }
  };
  const cpuMilli = read("cpu", parseCpu);
  const memoryMiB = read("memory", parseMemory);
  if (cpuMilli !== undefined) out.cpuMilli = cpuMilli;
  if (memoryMiB !== undefined) out.memoryMiB = memoryMiB;
  return out;
}

/** Requests and limits, with Kubernetes' defaulting (a missing request takes its limit) and its request <= limit rule. */
function readResources(errs: FieldErrors, value: unknown, path: string): Pick<ContainerSpec, "requests" | "limits"> {
  if (value === undefined || value === null) return { requests: {}, limits: {} };
  const resources = errs.object(value, path, ["requests", "limits"]);
  if (!resources) return { requests: {}, limits: {} };
  const limits = readAmounts(errs, resources.limits, child(path, "limits"));
  const requests = { ...limits, ...readAmounts(errs, resources.requests, child(path, "requests")) };
  const at = child(path, "requests");
  if (requests.cpuMilli !== undefined && limits.cpuMilli !== undefined && requests.cpuMilli > limits.cpuMilli) {
    errs.invalid(at, formatCpuQuantity(requests.cpuMilli), `must be less than or equal to cpu limit of ${formatCpuQuantity(limits.cpuMilli)}`);
  }
  if (requests.memoryMiB !== undefined && limits.memoryMiB !== undefined && requests.memoryMiB > limits.memoryMiB) {
    errs.invalid(at, formatMemoryQuantity(requests.memoryMiB), `must be less than or equal to memory limit of ${formatMemoryQuantity(limits.memoryMiB)}`);
  }
  return { requests, limits };
}

function readEnv(errs: FieldErrors, value: unknown, path: string): EnvVar[] {
  const out: EnvVar[] = [];
  (errs.array(value, path) ?? []).forEach((item, i) => {
    const at = `${path}[${i}]`;
    const env = errs.object(item, at, ["name", "value"]);
    if (!env) return;
    const name = errs.string(env.name, child(at, "name"), true);
    if (name !== undefined && !ENV_NAME.test(name)) errs.invalid(child(at, "name"), name, ENV_NAME_RULE);
    const envValue = errs.string(env.value, child(at, "value")) ?? "";
    if (name !== undefined) out.push({ name, value: envValue });
  });
  return out;
}

function readPorts(errs: FieldErrors, value: unknown, path: string): ContainerPort[] {
  const out: ContainerPort[] = [];
  const names = new Set<string>();
  (errs.array(value, path) ?? []).forEach((item, i) => {
    const at = `${path}[${i}]`;
    const port = errs.object(item, at, ["containerPort", "name", "protocol"]);
    if (!port) return;
    const number = port.containerPort;
    if (number === undefined || number === null) errs.required(child(at, "containerPort"));
    const valid = number !== undefined && number !== null && checkPortNumber(errs, number, child(at, "containerPort"));
    const name = errs.string(port.name, child(at, "name"));
    if (name !== undefined) {
      for (const problem of portNameProblems(name)) errs.invalid(child(at, "name"), name, problem);
      if (names.has(name)) errs.duplicate(child(at, "name"), name);
      names.add(name);
    }
    const protocol = errs.oneOf(port.protocol, child(at, "protocol"), ["TCP"], "TCP");
    if (valid) out.push({ containerPort: number as number, protocol, ...(name !== undefined ? { name } : {}) });
  });
  return out;
}

function readContainer(errs: FieldErrors, value: unknown, path: string): ContainerSpec | undefined {
  const c = errs.object(value, path, CONTAINER_FIELDS);
  if (!c) return undefined;
  const name = errs.string(c.name, child(path, "name"), true);
  if (name !== undefined) checkDnsLabel(errs, name, child(path, "name"));
  const image = errs.string(c.image, child(path, "image"), true);
  if (image !== undefined && image.trim() !== image) {
    errs.invalid(child(path, "image"), image, "must not have leading or trailing whitespace");
  }
  const ports = readPorts(errs, c.ports, child(path, "ports"));
  const container: ContainerSpec = {
    name: name ?? "",
    image: image ?? "",
    command: errs.strings(c.command, child(path, "command")),
    args: errs.strings(c.args, child(path, "args")),
    env: readEnv(errs, c.env, child(path, "env")),
    ports,
    ...readResources(errs, c.resources, child(path, "resources")),
  };
  const liveness = readProbe(errs, c.livenessProbe, child(path, "livenessProbe"), "liveness", ports);
  const readiness = readProbe(errs, c.readinessProbe, child(path, "readinessProbe"), "readiness", ports);
  const startup = readProbe(errs, c.startupProbe, child(path, "startupProbe"), "startup", ports);
  if (liveness) container.livenessProbe = liveness;
  if (readiness) container.readinessProbe = readiness;
  if (startup) container.startupProbe = startup;
  return container;
}

function readSpec(errs: FieldErrors, value: unknown): PodSpec | undefined {
  if (value === undefined || value === null) {
    errs.required("spec.containers");
    return undefined;
  }
  const spec = errs.object(value, "spec", SPEC_FIELDS);
  if (!spec) return undefined;
  const list = errs.array(spec.containers, "spec.containers") ?? [];
  if (list.length === 0 && (spec.containers === undefined || Array.isArray(spec.containers))) {
    errs.required("spec.containers");
  }
  const containers: ContainerSpec[] = [];
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const container = readContainer(errs, item, `spec.containers[${i}]`);
    if (!container) return;
    if (container.name !== "" && seen.has(container.name)) errs.duplicate(`spec.containers[${i}].name`, container.name);
    seen.add(container.name);
    containers.push(container);
  });
  return {
    containers,
    restartPolicy: errs.oneOf(spec.restartPolicy, "spec.restartPolicy", RESTART_POLICIES, "Always"),
    terminationGracePeriodSeconds: errs.integer(
      spec.terminationGracePeriodSeconds, "spec.terminationGracePeriodSeconds", 0, DEFAULT_TERMINATION_GRACE_SECONDS,
    ),
    nodeSelector: errs.stringMap(spec.nodeSelector, "spec.nodeSelector", labelKeyProblem, labelValueProblem),
  };
}

/** Reads a Kubernetes v1 Pod manifest (already parsed from YAML/JSON) strictly into a normalized pod, or all its errors. */
export function parsePodManifest(doc: unknown): PodManifestResult {
  const errs = new FieldErrors();
  const root = errs.object(doc, "", POD_FIELDS);
  if (!root) return { ok: false, errors: errs.list };
  const apiVersion = errs.string(root.apiVersion, "apiVersion", true);
  if (apiVersion !== undefined && apiVersion !== "v1") errs.unsupported("apiVersion", apiVersion, ["v1"]);
  const kind = errs.string(root.kind, "kind", true);
  if (kind !== undefined && kind !== "Pod") errs.unsupported("kind", kind, ["Pod"]);
  const metadata = readMetadata(errs, root.metadata);
  const spec = readSpec(errs, root.spec);
  if (errs.list.length > 0 || !metadata || !spec) return { ok: false, errors: errs.list };
  return { ok: true, pod: { ...metadata, spec } };
}

/** What the scheduler places for a pod: the sum of its containers' requests, an absent request counting 0. */
export function podRequest(spec: PodSpec): { cpuMilli: number; memoryMiB: number } {
  let cpuMilli = 0;
  let memoryMiB = 0;
  for (const c of spec.containers) {
    cpuMilli += c.requests.cpuMilli ?? 0;
    memoryMiB += c.requests.memoryMiB ?? 0;
  }
  return { cpuMilli, memoryMiB };
}
