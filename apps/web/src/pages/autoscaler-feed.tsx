import { useAutoscaler } from "../autoscaler";
import { AUTOSCALER_REASONS, isAutoscalerEvent } from "../autoscaler-events";
import { useEvents, useNow } from "../live";
import { LinkedTitle } from "../ui";
import { EventRow } from "./Events";
import { GroupBar, LastActivity } from "./node-group-card";

const FEED_ROWS = 60;

/** The autoscaler's decisions and non-decisions as they happen (from the events watch), newest first, each with what its reason means. */
export function AutoscalerFeed() {
  const events = useEvents()
    .filter(isAutoscalerEvent)
    .slice(-FEED_ROWS)
    .reverse();
  return (
    <div className="card">
      <LinkedTitle title="Autoscaler events" href="#/events" link="all events →" />
      <div className="events compact" data-testid="autoscaler-feed">
        {events.length === 0 && <div className="muted">No autoscaler events yet: create a group, or launch pods its nodes would take.</div>}
        {events.map((e) => (
          <div key={e.id} className="as-event" data-testid="as-event" data-reason={e.reason}>
            <EventRow e={e} />
            <div className="why">{AUTOSCALER_REASONS[e.reason]}</div>
          </div>
        ))}
      </div>
    </div>
  );
}

/** The overview's glance at autoscaling: each group's size against its max and what the autoscaler last did; nothing without groups. */
export function AutoscalerSummary() {
  const q = useAutoscaler();
  const now = useNow(1000);
  const groups = q.data?.groups ?? [];
  if (groups.length === 0) return null;
  return (
    <div className="card" data-testid="autoscaler-summary">
      <LinkedTitle title="Autoscaling" href="#/autoscaling" link="node groups →" />
      <table className="table summary">
        <tbody>
          {groups.map((g) => (
            <tr key={g.name} data-testid={`summary-group-${g.name}`}>
              <td className="mono">{g.name}</td>
              <td className="summary-bar">
                <GroupBar g={g} compact />
              </td>
              <td>
                <LastActivity g={g} now={now} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {q.data!.unschedulablePods > 0 && <div className="muted small">{q.data!.unschedulablePods} pod(s) unschedulable now.</div>}
    </div>
  );
}
