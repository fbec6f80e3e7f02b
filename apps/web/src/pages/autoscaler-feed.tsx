import { AUTOSCALER_REASONS, isAutoscalerEvent } from "../autoscaler-events";
import { useEvents } from "../live";
import { LinkedTitle } from "../ui";
import { EventRow } from "./Events";

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
