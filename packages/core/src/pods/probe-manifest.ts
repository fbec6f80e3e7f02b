// Reading a container's probes from a manifest, validated as Kubernetes' validateProbe does
// (pkg/apis/core/validation), with PROBE_DEFAULTS filled in as Kubernetes' defaulting does.

import { child, type FieldErrors } from "./field-errors.js";
import { PROBE_DEFAULTS, type ContainerPort, type ProbeKind, type ProbeSpec } from "./types.js";

const PROBE_FIELDS = [
  "exec", "httpGet", "tcpSocket",
  "initialDelaySeconds", "periodSeconds", "timeoutSeconds", "failureThreshold", "successThreshold",
] as const;
const HANDLERS = ["exec", "httpGet", "tcpSocket"] as const;

/** Problems of a port name under Kubernetes' IANA_SVC_NAME rule (empty when valid), worded as Kubernetes words them. */
export function portNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (name.length > 15) problems.push("must be no more than 15 characters");
  if (!/^[-a-z0-9]+$/.test(name)) problems.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (name.includes("--")) problems.push("must not contain consecutive hyphens");
  if (!/[a-z]/.test(name)) problems.push("must contain at least one letter (a-z)");
  if (name.startsWith("-") || name.endsWith("-")) problems.push("must not begin or end with a hyphen");
  return problems;
}

/** Checks a port number (1..65535); reports and returns false otherwise. */
export function checkPortNumber(errs: FieldErrors, value: unknown, path: string): value is number {
  if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65535) return true;
  errs.invalid(path, value, "must be between 1 and 65535, inclusive");
  return false;
}

/** A probe's target port: a number, or the name of one of this container's ports. */
function readTargetPort(errs: FieldErrors, value: unknown, path: string, ports: readonly ContainerPort[]): number | string | undefined {
  if (value === undefined || value === null || value === "") {
    errs.required(path);
    return undefined;
  }
  if (typeof value === "string") {
    const problems = portNameProblems(value);
    for (const problem of problems) errs.invalid(path, value, problem);
    if (problems.length > 0) return undefined;
    // Kubernetes only finds out at probe time; a manifest check is kinder than a container that never gets ready.
    if (!ports.some((p) => p.name === value)) {
      errs.invalid(path, value, "must be a number or the name of one of this container's ports");
      return undefined;
    }
    return value;
  }
  return checkPortNumber(errs, value, path) ? value : undefined;
}

type Handler = Pick<ProbeSpec, "exec" | "httpGet" | "tcpSocket">;

function readHandler(
  errs: FieldErrors,
  probe: Record<string, unknown>,
  path: string,
  ports: readonly ContainerPort[],
): Handler | undefined {
  const present = HANDLERS.filter((h) => probe[h] !== undefined && probe[h] !== null);
  if (present.length === 0) {
    errs.required(path, "must specify a handler type");
    return undefined;
  }
  // Kubernetes reports every handler after the first as the one too many.
  for (const extra of present.slice(1)) errs.forbidden(child(path, extra), "may not specify more than 1 handler type");
  const kind = present[0];
  const at = child(path, kind as string);
  if (kind === "exec") {
    const exec = errs.object(probe.exec, at, ["command"]);
    if (!exec) return undefined;
    const command = errs.strings(exec.command, child(at, "command"));
    if (command.length === 0) {
      errs.required(child(at, "command"));
      return undefined;
    }
    return { exec: { command } };
  }
  if (kind === "httpGet") {
    const http = errs.object(probe.httpGet, at, ["path", "port", "host", "scheme"]);
    if (!http) return undefined;
    const port = readTargetPort(errs, http.port, child(at, "port"), ports);
    const urlPath = errs.string(http.path, child(at, "path")) ?? "/";
    // Kube-9's own rule: the path is appended to http://host:port, so "healthz" would glue onto the port.
    if (!urlPath.startsWith("/")) errs.invalid(child(at, "path"), urlPath, 'must start with "/"');
    const host = errs.string(http.host, child(at, "host"));
    const scheme = errs.oneOf(http.scheme, child(at, "scheme"), ["HTTP"], "HTTP");
    if (port === undefined) return undefined;
    return { httpGet: { path: urlPath, port, scheme, ...(host ? { host } : {}) } };
  }
  const tcp = errs.object(probe.tcpSocket, at, ["port", "host"]);
  if (!tcp) return undefined;
  const port = readTargetPort(errs, tcp.port, child(at, "port"), ports);
  const host = errs.string(tcp.host, child(at, "host"));
  if (port === undefined) return undefined;
  return { tcpSocket: { port, ...(host ? { host } : {}) } };
}

/** Reads one probe (undefined when absent or invalid; problems go to `errs`). */
export function readProbe(
  errs: FieldErrors,
  value: unknown,
  path: string,
  kind: ProbeKind,
  ports: readonly ContainerPort[],
): ProbeSpec | undefined {
  if (value === undefined || value === null) return undefined;
  const probe = errs.object(value, path, PROBE_FIELDS);
  if (!probe) return undefined;
  const before = errs.list.length;
  const handler = readHandler(errs, probe, path, ports);
  const d = PROBE_DEFAULTS;
  const timing = {
    initialDelaySeconds: errs.integer(probe.initialDelaySeconds, child(path, "initialDelaySeconds"), 0, d.initialDelaySeconds),
    periodSeconds: errs.integer(probe.periodSeconds, child(path, "periodSeconds"), 1, d.periodSeconds),
    timeoutSeconds: errs.integer(probe.timeoutSeconds, child(path, "timeoutSeconds"), 1, d.timeoutSeconds),
    failureThreshold: errs.integer(probe.failureThreshold, child(path, "failureThreshold"), 1, d.failureThreshold),
    successThreshold: errs.integer(probe.successThreshold, child(path, "successThreshold"), 1, d.successThreshold),
  };
  // A liveness or startup probe that needed 2 successes would only delay what 1 success already proves.
  if (kind !== "readiness" && timing.successThreshold !== 1) {
    errs.invalid(child(path, "successThreshold"), timing.successThreshold, "must be 1");
  }
  if (!handler || errs.list.length > before) return undefined;
  return { ...handler, ...timing };
}
