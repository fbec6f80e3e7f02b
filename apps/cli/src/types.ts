import type { RouterOutputs } from "@kube9/client";

// Derived from the router so any API change shows up as a compile error here, not as a wrong table.
export type NodeDTO = RouterOutputs["nodes"]["list"][number];
export type PodDTO = RouterOutputs["pods"]["list"][number];
export type EventDTO = RouterOutputs["events"]["list"][number];
export type NodeDetail = RouterOutputs["nodes"]["get"];
export type PodDetail = RouterOutputs["pods"]["get"];
export type NodeFitDTO = PodDetail["fits"][number];
export type ClusterStatus = RouterOutputs["cluster"]["status"];
export type LaunchResult = RouterOutputs["pods"]["launch"];
export type LaunchManyResult = RouterOutputs["pods"]["launchMany"];
export type NodeUsageDTO = RouterOutputs["usage"]["nodes"][number];
export type PodUsageDTO = RouterOutputs["usage"]["pods"][number];
export type ContainerUsageDTO = PodUsageDTO["containers"][number];
export type AlertDTO = RouterOutputs["alerts"]["list"][number];
export type AlertRuleDTO = RouterOutputs["alerts"]["rules"][number];
export type NodeGroupDTO = RouterOutputs["nodeGroups"]["list"][number];
export type AutoscalerStatusDTO = RouterOutputs["autoscaler"]["status"];
export type AutoscalerGroupDTO = AutoscalerStatusDTO["groups"][number];
export type NamespaceDTO = RouterOutputs["namespaces"]["list"][number];
export type NetworkPolicyDTO = RouterOutputs["networkPolicies"]["list"][number];
export type ProbeResultDTO = RouterOutputs["net"]["probe"];
export type ExplainDTO = RouterOutputs["net"]["explain"];
