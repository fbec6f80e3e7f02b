import { describe, expect, it } from "vitest";
import { parsePodManifest, podRequest, type PodManifest } from "./manifest.js";
import type { ContainerSpec, PodSpec } from "./types.js";

/** A valid pod with one container; `spec`/`container`/`metadata` patch it. */
function pod(patch: { metadata?: object; spec?: object; container?: object; root?: object } = {}): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", ...patch.metadata },
    spec: { containers: [{ name: "app", image: "busybox", ...patch.container }], ...patch.spec },
    ...patch.root,
  };
}

const BARE: ContainerSpec = { name: "app", image: "busybox", command: [], args: [], env: [], ports: [], requests: {}, limits: {} };
const PROBE_TIMING = { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1 };

function messages(doc: unknown): string[] {
  const result = parsePodManifest(doc);
  return result.ok ? [] : result.errors.map((e) => e.message);
}

describe("parsePodManifest accepts and normalizes", () => {
  const cases: { name: string; doc: unknown; want: Partial<Omit<PodManifest, "spec">> & { spec?: Partial<PodSpec> } }[] = [
    // the smallest pod: Kubernetes defaults namespace, restartPolicy and grace period
    {
      name: "minimal pod",
      doc: pod(),
      want: {
        name: "web", namespace: "default", labels: {}, annotations: {},
        spec: { containers: [BARE], restartPolicy: "Always", terminationGracePeriodSeconds: 30, nodeSelector: {} },
      },
    },
    // metadata and spec fields all given are carried over unchanged
    {
      name: "everything set",
      doc: pod({
        metadata: { namespace: "team-a", labels: { app: "web" }, annotations: { "kube9.io/note": "any text at all" } },
        spec: { restartPolicy: "Never", terminationGracePeriodSeconds: 0, nodeSelector: { zone: "a" } },
        container: { command: ["sh", "-c"], args: ["sleep 1"], env: [{ name: "MODE", value: "x" }, { name: "EMPTY" }] },
      }),
      want: {
        namespace: "team-a", labels: { app: "web" }, annotations: { "kube9.io/note": "any text at all" },
        spec: {
          containers: [{ ...BARE, command: ["sh", "-c"], args: ["sleep 1"], env: [{ name: "MODE", value: "x" }, { name: "EMPTY", value: "" }] }],
          restartPolicy: "Never", terminationGracePeriodSeconds: 0, nodeSelector: { zone: "a" },
        },
      },
    },
    // limits without requests: requests = limits per resource (cpu 1 -> 1000m, memory 256Mi -> 256)
    {
      name: "requests default to limits",
      doc: pod({ container: { resources: { limits: { cpu: "1", memory: "256Mi" } } } }),
      want: { spec: specOf({ requests: { cpuMilli: 1000, memoryMiB: 256 }, limits: { cpuMilli: 1000, memoryMiB: 256 } }) },
    },
    // defaulting is per resource: the cpu request stays 250m, only memory takes its limit (1Gi = 1024)
    {
      name: "one request given, the other from its limit",
      doc: pod({ container: { resources: { requests: { cpu: "250m" }, limits: { cpu: 1, memory: "1Gi" } } } }),
      want: { spec: specOf({ requests: { cpuMilli: 250, memoryMiB: 1024 }, limits: { cpuMilli: 1000, memoryMiB: 1024 } }) },
    },
    // requests without limits: no limit is invented
    {
      name: "requests only",
      doc: pod({ container: { resources: { requests: { memory: "1G" } } } }),
      // 1G = 10^9 bytes -> 954 MiB
      want: { spec: specOf({ requests: { memoryMiB: 954 }, limits: {} }) },
    },
    // ports default protocol TCP; probes get Kubernetes' default timing and httpGet path "/"
    {
      name: "ports and probes",
      doc: pod({
        container: {
          ports: [{ containerPort: 8080, name: "http" }],
          livenessProbe: { httpGet: { port: "http" } },
          readinessProbe: { tcpSocket: { port: 8080 }, successThreshold: 2, periodSeconds: 5 },
          startupProbe: { exec: { command: ["true"] }, failureThreshold: 30, initialDelaySeconds: 2 },
        },
      }),
      want: {
        spec: specOf({
          ports: [{ containerPort: 8080, name: "http", protocol: "TCP" }],
          livenessProbe: { httpGet: { path: "/", port: "http", scheme: "HTTP" }, ...PROBE_TIMING },
          readinessProbe: { tcpSocket: { port: 8080 }, ...PROBE_TIMING, successThreshold: 2, periodSeconds: 5 },
          startupProbe: { exec: { command: ["true"] }, ...PROBE_TIMING, failureThreshold: 30, initialDelaySeconds: 2 },
        }),
      },
    },
    // httpGet with everything spelled out keeps host and path
    {
      name: "httpGet in full",
      doc: pod({ container: { readinessProbe: { httpGet: { path: "/healthz", port: 80, host: "127.0.0.1", scheme: "HTTP" } } } }),
      want: {
        spec: specOf({ readinessProbe: { httpGet: { path: "/healthz", port: 80, host: "127.0.0.1", scheme: "HTTP" }, ...PROBE_TIMING } }),
      },
    },
  ];
  it.each(cases)("$name", ({ doc, want }) => {
    expect(okPod(doc)).toMatchObject(want);
  });

  it("fills every field of the normalized container (nothing left undefined)", () => {
    expect(okPod(pod()).spec.containers[0]).toEqual(BARE);
  });
});

function okPod(doc: unknown) {
  const result = parsePodManifest(doc);
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join("\n"));
  return result.pod;
}

function specOf(container: Partial<ContainerSpec>): Partial<PodSpec> {
  return { containers: [{ ...BARE, ...container }] };
}

describe("parsePodManifest rejects", () => {
  const cases: { name: string; doc: unknown; want: string[] }[] = [
    // not an object at all
    { name: "a string", doc: "pod", want: ['<root>: Invalid value: "pod": must be an object'] },
    // apiVersion and kind name the only supported values
    {
      name: "wrong apiVersion and kind",
      doc: pod({ root: { apiVersion: "apps/v1", kind: "Deployment" } }),
      want: ['apiVersion: Unsupported value: "apps/v1": supported values: "v1"', 'kind: Unsupported value: "Deployment": supported values: "Pod"'],
    },
    // both missing
    { name: "no apiVersion or kind", doc: { metadata: { name: "a" }, spec: { containers: [{ name: "a", image: "b" }] } }, want: ["apiVersion: Required value", "kind: Required value"] },
    // no metadata: the name is what is missing
    { name: "no metadata", doc: { apiVersion: "v1", kind: "Pod", spec: {} }, want: ["metadata.name: Required value: name is required", "spec.containers: Required value"] },
    // the example from kubectl: an underscore and capitals
    {
      name: "bad name",
      doc: pod({ metadata: { name: "Bad_Name" } }),
      want: [
        "metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ],
    },
    // 64 characters is one past the DNS-label limit of 63
    { name: "long name", doc: pod({ metadata: { name: "a".repeat(64) } }), want: [`metadata.name: Invalid value: "${"a".repeat(64)}": must be no more than 63 characters`] },
    // generateName needs a server that invents names
    {
      name: "generateName",
      doc: pod({ metadata: { name: undefined, generateName: "web-" } }),
      want: ["metadata.generateName: Forbidden: not supported by Kube-9; set metadata.name", "metadata.name: Required value"],
    },
    // label keys and values follow the same rules as the API's
    {
      name: "bad label key and value",
      doc: pod({ metadata: { labels: { "bad key": "x", app: "no spaces", n: 1 } } }),
      want: [
        'metadata.labels: Invalid value: "bad key": at most 63 letters, digits, "-", "_", "." or "/", starting and ending with a letter or digit',
        'metadata.labels[app]: Invalid value: "no spaces": empty or at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
        "metadata.labels[n]: Invalid value: 1: must be a string",
      ],
    },
    // 33 labels: one past LIMITS.maxLabels = 32
    {
      name: "too many labels",
      doc: pod({ metadata: { labels: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`l${i}`, "v"])) } }),
      want: ["metadata.labels: Too many: 33: must have at most 32 items"],
    },
    // an empty container list
    { name: "no containers", doc: pod({ spec: { containers: [] } }), want: ["spec.containers: Required value"] },
    // containers given as an object instead of a list
    { name: "containers not a list", doc: pod({ spec: { containers: { name: "a" } } }), want: ['spec.containers: Invalid value: {"name":"a"}: must be a list'] },
    // name and image missing in one container: both reported
    { name: "container without name or image", doc: pod({ container: { name: undefined, image: "" } }), want: ["spec.containers[0].name: Required value", "spec.containers[0].image: Required value"] },
    // the second "web" is the duplicate
    {
      name: "duplicate container names",
      doc: pod({ spec: { containers: [{ name: "web", image: "busybox" }, { name: "web", image: "busybox" }] } }),
      want: ['spec.containers[1].name: Duplicate value: "web"'],
    },
    // restartPolicy lists the three supported values in Kubernetes' order
    {
      name: "unsupported restartPolicy",
      doc: pod({ spec: { restartPolicy: "Sometimes" } }),
      want: ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
    },
    // a negative grace period and a fractional one
    { name: "negative grace", doc: pod({ spec: { terminationGracePeriodSeconds: -1 } }), want: ["spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0"] },
    { name: "fractional grace", doc: pod({ spec: { terminationGracePeriodSeconds: 1.5 } }), want: ["spec.terminationGracePeriodSeconds: Invalid value: 1.5: must be an integer"] },
    // unknown fields at every level name their full path
    {
      name: "unknown fields",
      doc: pod({ root: { status: {} }, metadata: { uid: "x" }, spec: { hostNetwork: true }, container: { foo: 1, resources: { limits: { "nvidia.com/gpu": 1 } } } }),
      want: [
        'unknown field "status"',
        'unknown field "metadata.uid"',
        'unknown field "spec.hostNetwork"',
        'unknown field "spec.containers[0].foo"',
        'unknown field "spec.containers[0].resources.limits.nvidia.com/gpu"',
      ],
    },
    // request 2 cores above the 1-core limit
    {
      name: "cpu request above limit",
      doc: pod({ container: { resources: { requests: { cpu: "2" }, limits: { cpu: "1" } } } }),
      want: ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'],
    },
    // 1Gi = 1024 MiB requested, 512 MiB limit
    {
      name: "memory request above limit",
      doc: pod({ container: { resources: { requests: { memory: "1Gi" } , limits: { memory: "512Mi" } } } }),
      want: ['spec.containers[0].resources.requests: Invalid value: "1Gi": must be less than or equal to memory limit of 512Mi'],
    },
    // bad quantities carry the quantity rule
    {
      name: "bad quantities",
      doc: pod({ container: { resources: { limits: { memory: "256MB", cpu: "-1" } } } }),
      want: [
        'spec.containers[0].resources.limits.cpu: Invalid value: "-1": must not be negative',
        'spec.containers[0].resources.limits.memory: Invalid value: "256MB": must be a number of bytes ("134217728", "129e6") or a number with a suffix: Ki, Mi, Gi, Ti, Pi, Ei (powers of 1024, e.g. "256Mi") or k, M, G, T, P, E (powers of 1000, e.g. "123M")',
      ],
    },
    // ports: 0 and 65536 are just outside 1..65535; UDP is not implemented; a port name breaks IANA_SVC_NAME twice
    {
      name: "bad ports",
      doc: pod({ container: { ports: [{ containerPort: 0 }, { containerPort: 65536, protocol: "UDP" }, { name: "Web--Port-Too-Long" }] } }),
      want: [
        "spec.containers[0].ports[0].containerPort: Invalid value: 0: must be between 1 and 65535, inclusive",
        "spec.containers[0].ports[1].containerPort: Invalid value: 65536: must be between 1 and 65535, inclusive",
        'spec.containers[0].ports[1].protocol: Unsupported value: "UDP": supported values: "TCP"',
        "spec.containers[0].ports[2].containerPort: Required value",
        'spec.containers[0].ports[2].name: Invalid value: "Web--Port-Too-Long": must be no more than 15 characters',
        'spec.containers[0].ports[2].name: Invalid value: "Web--Port-Too-Long": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'spec.containers[0].ports[2].name: Invalid value: "Web--Port-Too-Long": must not contain consecutive hyphens',
      ],
    },
    // two ports of one container with one name
    {
      name: "duplicate port names",
      doc: pod({ container: { ports: [{ containerPort: 80, name: "http" }, { containerPort: 81, name: "http" }] } }),
      want: ['spec.containers[0].ports[1].name: Duplicate value: "http"'],
    },
    // an env name starting with a digit; command not a list of strings
    {
      name: "bad env and command",
      doc: pod({ container: { env: [{ name: "1X", value: "v" }, { value: "v" }], command: ["sh", 1] } }),
      want: [
        "spec.containers[0].command[1]: Invalid value: 1: must be a string",
        "spec.containers[0].env[0].name: Invalid value: \"1X\": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
        "spec.containers[0].env[1].name: Required value",
      ],
    },
  ];
  it.each(cases)("$name", ({ doc, want }) => {
    expect(messages(doc).sort()).toEqual([...want].sort());
  });

  it("gives each error its field path apart from the message", () => {
    const result = parsePodManifest(pod({ container: { name: "" } }));
    expect(result).toEqual({ ok: false, errors: [{ field: "spec.containers[0].name", message: "spec.containers[0].name: Required value" }] });
  });
});

describe("parsePodManifest probes", () => {
  const cases: { name: string; probe: string; value: unknown; ports?: unknown[]; want: string[] }[] = [
    // no handler at all
    { name: "no handler", probe: "livenessProbe", value: { periodSeconds: 5 }, want: ["spec.containers[0].livenessProbe: Required value: must specify a handler type"] },
    // two handlers: the second is the one too many
    {
      name: "two handlers",
      probe: "readinessProbe",
      value: { exec: { command: ["true"] }, tcpSocket: { port: 80 } },
      want: ["spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"],
    },
    // Kubernetes validates successThreshold == 1 for liveness ...
    { name: "liveness successThreshold 2", probe: "livenessProbe", value: { exec: { command: ["true"] }, successThreshold: 2 }, want: ["spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"] },
    // ... and for startup
    { name: "startup successThreshold 3", probe: "startupProbe", value: { exec: { command: ["true"] }, successThreshold: 3 }, want: ["spec.containers[0].startupProbe.successThreshold: Invalid value: 3: must be 1"] },
    // period, timeout and thresholds must be >= 1; initialDelay >= 0
    {
      name: "timing below minimum",
      probe: "readinessProbe",
      value: { exec: { command: ["true"] }, periodSeconds: 0, timeoutSeconds: 0, failureThreshold: 0, successThreshold: 0, initialDelaySeconds: -1 },
      want: [
        "spec.containers[0].readinessProbe.initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0",
        "spec.containers[0].readinessProbe.periodSeconds: Invalid value: 0: must be greater than or equal to 1",
        "spec.containers[0].readinessProbe.timeoutSeconds: Invalid value: 0: must be greater than or equal to 1",
        "spec.containers[0].readinessProbe.failureThreshold: Invalid value: 0: must be greater than or equal to 1",
        "spec.containers[0].readinessProbe.successThreshold: Invalid value: 0: must be greater than or equal to 1",
      ],
    },
    // a named port that the container does not declare
    {
      name: "unknown named port",
      probe: "livenessProbe",
      value: { httpGet: { port: "metrics" } },
      ports: [{ containerPort: 80, name: "http" }],
      want: ['spec.containers[0].livenessProbe.httpGet.port: Invalid value: "metrics": must be a number or the name of one of this container\'s ports'],
    },
    // HTTPS is not implemented
    {
      name: "https",
      probe: "livenessProbe",
      value: { httpGet: { port: 443, scheme: "HTTPS" } },
      want: ['spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: "HTTPS": supported values: "HTTP"'],
    },
    // Kube-9 (not Kubernetes) insists on an absolute path, since it is appended to http://host:port
    {
      name: "relative http path",
      probe: "readinessProbe",
      value: { httpGet: { path: "healthz", port: 80 } },
      want: ['spec.containers[0].readinessProbe.httpGet.path: Invalid value: "healthz": must start with "/"'],
    },
    // exec needs a command; tcpSocket needs a port
    { name: "empty exec", probe: "livenessProbe", value: { exec: { command: [] } }, want: ["spec.containers[0].livenessProbe.exec.command: Required value"] },
    { name: "tcp without port", probe: "readinessProbe", value: { tcpSocket: {} }, want: ["spec.containers[0].readinessProbe.tcpSocket.port: Required value"] },
    // grpc probes and probe-level grace periods are not implemented
    {
      name: "unknown probe fields",
      probe: "livenessProbe",
      value: { grpc: { port: 9000 }, terminationGracePeriodSeconds: 5 },
      want: [
        'unknown field "spec.containers[0].livenessProbe.grpc"',
        'unknown field "spec.containers[0].livenessProbe.terminationGracePeriodSeconds"',
        "spec.containers[0].livenessProbe: Required value: must specify a handler type",
      ],
    },
  ];
  it.each(cases)("$name", ({ probe, value, ports, want }) => {
    expect(messages(pod({ container: { [probe]: value, ...(ports ? { ports } : {}) } })).sort()).toEqual([...want].sort());
  });
});

describe("podRequest", () => {
  const container = (requests: ContainerSpec["requests"]): ContainerSpec => ({ ...BARE, requests });
  const spec = (...containers: ContainerSpec[]): PodSpec => ({ containers, restartPolicy: "Always", terminationGracePeriodSeconds: 30, nodeSelector: {} });
  const cases: { name: string; spec: PodSpec; want: { cpuMilli: number; memoryMiB: number } }[] = [
    // one container: its requests
    { name: "one container", spec: spec(container({ cpuMilli: 500, memoryMiB: 256 })), want: { cpuMilli: 500, memoryMiB: 256 } },
    // 500 + 250 = 750m; 256 + 0 (absent) = 256 MiB
    { name: "sum, absent is 0", spec: spec(container({ cpuMilli: 500, memoryMiB: 256 }), container({ cpuMilli: 250 })), want: { cpuMilli: 750, memoryMiB: 256 } },
    // no requests at all: the pod takes nothing from the node's books
    { name: "nothing requested", spec: spec(container({})), want: { cpuMilli: 0, memoryMiB: 0 } },
  ];
  it.each(cases)("$name", ({ spec, want }) => {
    expect(podRequest(spec)).toEqual(want);
  });

  it("counts requests defaulted from limits (limits 1 core, 1Gi -> 1000m, 1024 MiB)", () => {
    expect(podRequest(okPod(pod({ container: { resources: { limits: { cpu: "1", memory: "1Gi" } } } })).spec)).toEqual({ cpuMilli: 1000, memoryMiB: 1024 });
  });
});
