import type { EventDTO } from "./api";

// Apart from autoscaler.ts so that live.tsx, which refetches the autoscaler on these events, does not import the hooks that import it.

/**
 * What each autoscaler event means, beside the event's own message (which says the specifics): the feed
 * answers "why did this happen" without a trip to docs/architecture.md.
 */
export const AUTOSCALER_REASONS: Record<string, string> = {
  ScaledUpGroup: "Nodes were added: pods could not be scheduled (simulated on the group's template), the group was below its minimum, or its load stayed above the high-water mark.",
  TriggeredScaleUp: "This pod was one of those the new nodes were added for.",
  NotTriggerScaleUp: "No group can take this pod (its size or node selector fits no template, or the groups are at max or backing off), so nothing was added for it.",
  FailedToScaleUpGroup: "Nodes could not be added; the group backs off before trying again.",
  ScaleUpTimedOut: "A new node did not become Ready in time: it was removed and the group backs off.",
  ScaleDown: "A node stayed below the low-water mark for the unneeded time and its pods fit elsewhere: it is drained and removed.",
  ScaleDownBlocked: "The node is unneeded but must stay, for the reason given.",
  NodeGroupCreated: "A group was created; it is brought to its minimum size at once.",
  NodeGroupChanged: "A group's settings or template changed.",
  NodeGroupScaled: "A group's size was set by hand.",
  NodeGroupDeleted: "A group and its nodes were deleted.",
  ExpanderChanged: "The rule that picks the group to grow changed.",
};

export function isAutoscalerEvent(e: EventDTO): boolean {
  return Object.hasOwn(AUTOSCALER_REASONS, e.reason);
}
