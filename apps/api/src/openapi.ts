import { z } from "zod";
import { VERSION } from "./control-plane.js";
import { appRouter } from "./router/_app.js";
import { HEALTH_SETTINGS } from "./router/schemas.js";

/** JSON Schema objects as they appear in the document. */
type Schema = Record<string, unknown>;

const str = { type: "string" };
const int = { type: "integer" };
const iso = { type: "string", format: "date-time" };
const nullable = (s: Schema): Schema => ({ anyOf: [s, { type: "null" }] });
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const arr = (s: Schema): Schema => ({ type: "array", items: s });
const obj = (properties: Record<string, Schema>, required = Object.keys(properties)): Schema => ({
  type: "object",
  properties,
  required,
});
const labels = { type: "object", additionalProperties: { type: "string" } };

/** The shapes the procedures answer with (the DTOs of apps/api/src/dto.ts). */
const components: Record<string, Schema> = {
  Resources: obj({ cpuMilli: { type: "number", description: "millicores" }, memoryMiB: { type: "number" } }),
  Node: obj({
    id: str,
    name: str,
    role: { type: "string", enum: ["worker", "master"] },
    status: str,
    reason: nullable(str),
    capacity: ref("Resources"),
    allocated: ref("Resources"),
    podIds: arr(str),
    lastHeartbeatAt: nullable(iso),
    labels,
    runtime: { type: "string", enum: ["docker", "process", "hollow"] },
    containerId: nullable(str),
    recoveryAttempts: int,
    usage: nullable(ref("Resources")),
    components: labels,
    createdAt: iso,
  }),
  Pod: obj({
    id: str,
    name: str,
    status: str,
    nodeId: nullable(str),
    nodeName: nullable(str),
    request: ref("Resources"),
    algorithm: nullable(str),
    labels,
    nodeSelector: labels,
    reason: nullable(str),
    message: nullable(str),
    restarts: int,
    createdAt: iso,
    scheduledAt: nullable(iso),
    startedAt: nullable(iso),
  }),
  Event: obj({
    id: int,
    time: iso,
    type: { type: "string", enum: ["Normal", "Warning"] },
    reason: str,
    objectKind: { type: "string", enum: ["Node", "Pod", "Cluster"] },
    objectId: nullable(str),
    objectName: str,
    message: str,
  }),
  NodeFit: obj({
    nodeId: str,
    nodeName: str,
    feasible: { type: "boolean" },
    chosen: { type: "boolean" },
    reasons: arr(str),
    freeCpuAfter: nullable({ type: "number" }),
    freeMemoryAfter: nullable({ type: "number" }),
  }),
  HealthConfig: {
    type: "object",
    properties: Object.fromEntries(
      HEALTH_SETTINGS.map((k) => [k, int]),
    ),
  },
  ClusterStatus: obj({
    clusterId: str,
    algorithm: str,
    runtime: str,
    database: { type: "string", enum: ["postgres", "pglite"] },
    health: ref("HealthConfig"),
    nodes: obj({ total: int, byStatus: { type: "object", additionalProperties: int } }),
    pods: obj({ total: int, byStatus: { type: "object", additionalProperties: int } }),
    capacity: ref("Resources"),
    allocated: ref("Resources"),
  }),
  WatchMessage: {
    description: 'A watch message: first {type:"snapshot", items:[...]}, then {type:"change", item}.',
    oneOf: [
      obj({ type: { type: "string", const: "snapshot" }, items: arr({}) }),
      obj({ type: { type: "string", const: "change" }, item: {} }),
    ],
  },
  Error: {
    description: "The tRPC error envelope (single, non-batched call).",
    ...obj({
      error: obj(
        {
          message: str,
          code: { type: "integer", description: "JSON-RPC code, e.g. -32600 (BAD_REQUEST), -32001 (UNAUTHORIZED)" },
          data: obj(
            {
              code: {
                type: "string",
                enum: ["BAD_REQUEST", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "PRECONDITION_FAILED", "INTERNAL_SERVER_ERROR"],
              },
              httpStatus: int,
              path: str,
              field: nullable(str),
              issues: arr(obj({ field: str, message: str })),
            },
            ["code", "httpStatus"],
          ),
        },
        ["message", "code", "data"],
      ),
    }),
  },
};

/** What each public procedure does and answers. */
const DOCS: Record<string, { summary: string; output: Schema }> = {
  "health.check": { summary: "Liveness and identity of the API (no token needed).", output: obj({ ok: { type: "boolean" }, version: str, clusterId: str }) },
  "nodes.list": { summary: "Nodes in registration order, optionally filtered by status.", output: arr(ref("Node")) },
  "nodes.get": {
    summary: "One node with its pods and recent events.",
    output: obj({ node: ref("Node"), pods: arr(ref("Pod")), events: arr(ref("Event")) }),
  },
  "tokens.create": { summary: "Creates a bootstrap token with an expiry; its text is shown only in this answer.", output: {} },
  "tokens.list": { summary: "Lists bootstrap tokens (never their secrets).", output: {} },
  "tokens.delete": { summary: "Deletes a bootstrap token; nodes that joined with it keep their credentials.", output: {} },
  "tokens.join": { summary: "With a bootstrap token as the Bearer token: registers one node (runtime external) and answers its credential.", output: {} },
  "nodes.add": { summary: "Adds a node of the given size and starts its agent.", output: ref("Node") },
  "nodes.remove": { summary: "Drains a node (its pods move first), stops its agent and deletes it.", output: obj({ node: ref("Node"), movedPods: arr(ref("Pod")) }) },
  "nodes.fail": { summary: "Fault injection: kills or pauses a node's agent; the health monitor then marks it Failed.", output: ref("Node") },
  "nodes.recover": { summary: "Resumes a paused agent or restarts a failed one.", output: ref("Node") },
  "nodes.watch": { summary: "Live node changes (Server-Sent Events): a snapshot, then each changed node. Resumable with lastEventId.", output: ref("WatchMessage") },
  "pods.list": { summary: "Pods in creation order, optionally filtered by status or node.", output: arr(ref("Pod")) },
  "pods.get": {
    summary: "One pod with the per-node explanation of its placement.",
    output: obj({ pod: ref("Pod"), policy: str, fits: arr(ref("NodeFit")), events: arr(ref("Event")) }),
  },
  "pods.launch": { summary: "Creates a pod and places it at once; a pod that fits nowhere stays Pending with the reason.", output: obj({ pod: ref("Pod"), scheduled: { type: "boolean" }, message: str }) },
  "pods.launchMany": {
    summary: "Launches up to 1,000 pods in one call, each as pods.launch would; results in item order, one item's error (name taken, namespace missing) does not stop the others; a malformed item refuses the whole call.",
    output: obj({
      results: arr({
        anyOf: [
          obj({ ok: { type: "boolean", const: true }, pod: ref("Pod"), scheduled: { type: "boolean" }, message: str }),
          obj({ ok: { type: "boolean", const: false }, error: obj({ code: str, message: str }) }),
        ],
      }),
      scheduled: int,
      pending: int,
      failed: int,
    }),
  },
  "pods.delete": { summary: "Deletes a pod and frees its reservation.", output: ref("Pod") },
  "pods.watch": { summary: "Live pod changes (Server-Sent Events): a snapshot, then each changed pod (deleted pods come as Terminating). Resumable with lastEventId.", output: ref("WatchMessage") },
  "cluster.status": { summary: "Totals: nodes and pods by status, capacity and allocation, settings.", output: ref("ClusterStatus") },
  "cluster.setAlgorithm": { summary: "Changes the default scheduling algorithm.", output: obj({ algorithm: str, previous: str }) },
  "cluster.setHealth": { summary: "Changes health timings (heartbeat interval, Suspect/Failed thresholds, recovery).", output: ref("HealthConfig") },
  "events.list": { summary: "Events oldest first, after a given id, optionally about one node or pod.", output: arr(ref("Event")) },
  "events.watch": { summary: "Live events (Server-Sent Events), each with its id; lastEventId replays the stored events after it.", output: ref("Event") },
  "usage.nodes": { summary: "Each node's latest measured use (1 s window) with capacity and allocation (like metrics.k8s.io NodeMetrics).", output: arr({ type: "object" }) },
  "usage.pods": { summary: "Each bound pod's latest use per container, with requests and limits (like metrics.k8s.io PodMetrics).", output: arr({ type: "object" }) },
  "usage.range": { summary: "A node's, pod's or the cluster's use over [from, to) averaged per step: 1 s from memory (15 min), 10 s from the history (24 h).", output: { type: "object" } },
  "alerts.list": { summary: "Alerts pending or firing now, then those resolved in the last 15 minutes.", output: arr({ type: "object" }) },
  "alerts.rules": { summary: "Alert rules in effect (built-in ones as changed, then the user's), Prometheus fields.", output: arr({ type: "object" }) },
  "alerts.setRule": { summary: "Changes one rule: threshold, for, enabled, expr, labels, annotations.", output: { type: "object" } },
  "alerts.applyRules": { summary: "Creates or replaces rules from a PrometheusRule manifest or a Prometheus rule file.", output: arr({ type: "object" }) },
  "alerts.deleteRule": { summary: "Deletes a user rule, or resets a built-in one to its defaults.", output: { type: "object" } },
  "alerts.webhook": { summary: "The Alertmanager-format webhook alerts are POSTed to, if any.", output: obj({ webhookUrl: nullable(str) }) },
  "alerts.setWebhook": { summary: "Sets or clears (null) the alert webhook.", output: obj({ webhookUrl: nullable(str) }) },
  "nodeGroups.list": { summary: "Node groups with their nodes and the autoscaler's status of each.", output: arr({ type: "object" }) },
  "nodeGroups.get": { summary: "One node group.", output: { type: "object" } },
  "nodeGroups.manifest": { summary: "One node group as a NodeGroup manifest (kube9.io/v1).", output: { type: "object" } },
  "nodeGroups.create": { summary: "Creates a node group; the autoscaler brings it to its minimum.", output: { type: "object" } },
  "nodeGroups.applyManifest": { summary: "Creates or changes a node group from a NodeGroup manifest.", output: { type: "object" } },
  "nodeGroups.scale": { summary: "Sets a group's size now, within min and max.", output: { type: "object" } },
  "nodeGroups.delete": { summary: "Deletes a group and its nodes (drained first).", output: { type: "object" } },
  "autoscaler.status": { summary: "The autoscaler's view: expander, unschedulable pods, each group with its unneeded nodes.", output: { type: "object" } },
  "autoscaler.setExpander": { summary: "Sets how the group to grow is chosen: least-waste, most-pods, random, priority.", output: obj({ expander: str, previous: str }) },
};

/** Procedures left out of the public document: the node agents' own protocol. */
const INTERNAL = /^agent\./;

function inputSchema(parser: unknown): { schema: Schema; optional: boolean } | null {
  if (!(parser instanceof z.ZodType)) return null;
  const json = z.toJSONSchema(parser, { io: "input", unrepresentable: "any", target: "draft-2020-12" }) as Schema;
  delete json.$schema;
  return { schema: json, optional: parser.safeParse(undefined).success };
}

const ok = (schema: Schema, streaming: boolean) =>
  streaming
    ? {
        description: "A text/event-stream; each `data:` line is one JSON message, each `id:` its resume position.",
        content: { "text/event-stream": { schema } },
      }
    : { description: "Success: the procedure's result.", content: { "application/json": { schema: obj({ result: obj({ data: schema }) }) } } };

const errors = {
  "400": { description: "Invalid input (BAD_REQUEST).", content: { "application/json": { schema: ref("Error") } } },
  "401": { description: "Missing or invalid token (UNAUTHORIZED).", content: { "application/json": { schema: ref("Error") } } },
  "403": { description: "A node credential cannot call admin procedures (FORBIDDEN).", content: { "application/json": { schema: ref("Error") } } },
  "404": { description: "No such node or pod (NOT_FOUND).", content: { "application/json": { schema: ref("Error") } } },
  "409": { description: "Name taken (CONFLICT).", content: { "application/json": { schema: ref("Error") } } },
  "412": { description: "Not possible in the current state (PRECONDITION_FAILED).", content: { "application/json": { schema: ref("Error") } } },
  "500": { description: "Unexpected error (details in the API log).", content: { "application/json": { schema: ref("Error") } } },
};

/**
 * An OpenAPI 3.1 document of the public procedures, each described as the real tRPC HTTP endpoint:
 * queries and subscriptions are `GET /trpc/<path>?input=<JSON>`, mutations `POST /trpc/<path>` with a
 * JSON body. Input schemas come from the procedures' zod parsers.
 */
export function buildOpenApiDocument(serverUrl?: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string; inputs: unknown[] } }>;
  for (const [path, proc] of Object.entries(procedures)) {
    if (INTERNAL.test(path)) continue;
    const { type, inputs } = proc._def;
    const doc = DOCS[path] ?? { summary: path, output: {} };
    const input = inputs[0] ? inputSchema(inputs[0]) : null;
    const tag = path.split(".")[0] ?? "misc";
    const isPublic = path === "health.check";
    const base = {
      operationId: path,
      tags: [tag],
      summary: doc.summary,
      ...(isPublic ? { security: [] } : {}),
      responses: { "200": ok(doc.output, type === "subscription"), ...errors },
    };
    if (type === "mutation") {
      paths[`/trpc/${path}`] = {
        post: {
          ...base,
          ...(input
            ? { requestBody: { required: !input.optional, content: { "application/json": { schema: input.schema } } } }
            : {}),
        },
      };
    } else {
      paths[`/trpc/${path}`] = {
        get: {
          ...base,
          ...(type === "subscription"
            ? { description: "Server-Sent Events. Reconnect with the `Last-Event-ID` header (or `lastEventId` in the input) to resume." }
            : {}),
          ...(input
            ? {
                parameters: [
                  {
                    name: "input",
                    in: "query",
                    required: !input.optional,
                    description: "The input as URL-encoded JSON.",
                    content: { "application/json": { schema: input.schema } },
                  },
                ],
              }
            : {}),
        },
      };
    }
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Kube-9 API",
      version: VERSION,
      description:
        "The Kube-9 control plane's tRPC API over HTTP. Send the admin token as `Authorization: Bearer <token>` " +
        "(it is in $KUBE9_HOME/config.json, which kube9 up names). TypeScript users can use @kube9/client instead.",
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    security: [{ bearer: [] }],
    tags: [
      { name: "health", description: "Liveness" },
      { name: "nodes", description: "Add, inspect, break, recover and remove nodes" },
      { name: "pods", description: "Launch, inspect and delete pods" },
      { name: "cluster", description: "Cluster-wide status and settings" },
      { name: "events", description: "What happened in the cluster" },
    ],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "The admin token" } },
      schemas: components,
    },
  };
}
