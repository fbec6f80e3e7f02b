import { useQuery } from "@tanstack/react-query";
import type { AutoscalerStatusDTO, Expander, NodeGroupDTO } from "./api";
import { useLive } from "./live";

/** A group as the page shows it: its spec and nodes, with the autoscaler's view of it (starting and unneeded nodes). */
export type GroupView = NodeGroupDTO & Pick<AutoscalerStatusDTO["groups"][number], "upcoming" | "unneeded">;

export interface AutoscalerView {
  expander: Expander;
  unschedulablePods: number;
  lastPlan: string | null;
  groups: GroupView[];
  /** When the answer arrived (browser clock): unneeded nodes' times count on from here. */
  at: number;
}

// @kube9/client does not export the expander names; keyed by the API's input type, this record fails
// the build if one is misspelt or the API gains one it lacks.
const EXPANDER_TEXT: Record<Expander, string> = {
  "least-waste": "the group left with the least idle CPU and memory",
  "most-pods": "the group that schedules the most pending pods",
  random: "any group that fits, at random",
  priority: "the highest-priority group that fits",
};
export const EXPANDERS = Object.entries(EXPANDER_TEXT) as Array<[Expander, string]>;

/**
 * Groups and the autoscaler's status, fetched together so size and unneeded nodes agree (one batched
 * request). Polled: nodes turn Ready and unneeded times grow without events; autoscaler events also
 * refetch at once (live.tsx).
 */
export function useAutoscaler() {
  const { client } = useLive();
  return useQuery({
    queryKey: ["autoscaler"],
    queryFn: async (): Promise<AutoscalerView> => {
      const [groups, status] = await Promise.all([client.nodeGroups.list.query(), client.autoscaler.status.query()]);
      const byName = new Map(status.groups.map((g) => [g.name, g]));
      return {
        expander: status.expander as Expander,
        unschedulablePods: status.unschedulablePods,
        lastPlan: status.lastPlan,
        groups: groups.map((g) => ({ ...g, upcoming: byName.get(g.name)?.upcoming ?? 0, unneeded: byName.get(g.name)?.unneeded ?? [] })),
        at: Date.now(),
      };
    },
    refetchInterval: 1500,
  });
}
