import type { EventDTO } from "../types.js";
import { WatchTable } from "./table.js";

/** Local wall-clock time of an event (HH:MM:SS); a scrolling watch needs times, not ages that go stale. */
export function formatClock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `node/a`, `pod/web`, `cluster/x`: the kubectl way to name an object. */
export function eventObject(e: EventDTO): string {
  return `${e.objectKind.toLowerCase()}/${e.objectName}`;
}

const HEADERS = ["TIME", "TYPE", "REASON", "OBJECT", "MESSAGE"];
const WIDE_HEADERS = ["ID", "TIME", "TYPE", "REASON", "OBJECT", "MESSAGE"];

function cells(e: EventDTO, wide: boolean): string[] {
  return wide
    ? [String(e.id), e.time, e.type, e.reason, eventObject(e), e.message]
    : [formatClock(e.time), e.type, e.reason, eventObject(e), e.message];
}

/**
 * An event table whose column widths are fixed by the first batch (with sensible minimums), so rows printed
 * later by `events -w` line up with the header printed at the start.
 */
export class EventPrinter {
  private readonly table: WatchTable;

  constructor(private readonly wide: boolean) {
    this.table = new WatchTable(wide ? WIDE_HEADERS : HEADERS, wide ? [4, 24, 7, 18, 20, 0] : [8, 7, 18, 20, 0]);
  }

  /** Lines for a batch of events; the first call also returns the header. */
  lines(events: readonly EventDTO[]): string[] {
    return this.table.lines(events.map((e) => cells(e, this.wide)));
  }
}

/** A one-shot event table (for describe views and `events` without -w). */
export function renderEventTable(events: readonly EventDTO[], wide: boolean): string {
  return new EventPrinter(wide).lines(events).join("\n");
}
