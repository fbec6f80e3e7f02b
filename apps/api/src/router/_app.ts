import { router } from "../trpc.js";
import { agentRouter } from "./agent.js";
import { alertsRouter } from "./alerts.js";
import { autoscalerRouter, nodeGroupsRouter } from "./nodegroups.js";
import { clusterRouter } from "./cluster.js";
import { eventsRouter } from "./events.js";
import { healthRouter } from "./health.js";
import { namespacesRouter } from "./namespaces.js";
import { netRouter } from "./net.js";
import { networkPoliciesRouter } from "./networkpolicies.js";
import { nodesRouter } from "./nodes.js";
import { podsRouter } from "./pods.js";
import { tokensRouter } from "./tokens.js";
import { usageRouter } from "./usage.js";

export const appRouter = router({
  health: healthRouter,
  nodes: nodesRouter,
  pods: podsRouter,
  namespaces: namespacesRouter,
  networkPolicies: networkPoliciesRouter,
  net: netRouter,
  cluster: clusterRouter,
  events: eventsRouter,
  usage: usageRouter,
  alerts: alertsRouter,
  nodeGroups: nodeGroupsRouter,
  autoscaler: autoscalerRouter,
  agent: agentRouter,
  tokens: tokensRouter,
});

export type AppRouter = typeof appRouter;
