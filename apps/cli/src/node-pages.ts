import { parseSelectorString, type Kube9Client, type NodeStatus } from "@kube9/client";
import { CliError } from "./errors.js";
import { parseNodeStatuses, parseWhole } from "./parse.js";
import type { NodeDTO, PodDTO } from "./types.js";

/** The flags `node list` and `get nodes` share for clusters of thousands of nodes. */
export interface NodeListFlags {
  status?: string;
  selector?: string;
  limit?: string;
  chunkSize?: string;
}

/** What to fetch: filters, how many at most, and the page size of each request. */
export interface NodeQuery {
  status?: NodeStatus[];
  selector?: string;
  limit?: number;
  /** Nodes per request; 0 asks for all in one. */
  chunkSize: number;
}

/** kubectl's default --chunk-size. */
const DEFAULT_CHUNK = 500;

/** Parses the flags (each error names its flag); the selector is checked here so a typo fails before any request. */
export function parseNodeListFlags(opts: NodeListFlags): NodeQuery {
  if (opts.selector !== undefined) {
    const parsed = parseSelectorString(opts.selector);
    if (!parsed.ok) throw new CliError(`-l/--selector: ${parsed.error}`);
  }
  return {
    ...(opts.status !== undefined ? { status: parseNodeStatuses(opts.status) } : {}),
    ...(opts.selector !== undefined ? { selector: opts.selector } : {}),
    ...(opts.limit !== undefined ? { limit: parseWhole(opts.limit, "--limit", 1, 1_000_000) } : {}),
    chunkSize: opts.chunkSize !== undefined ? parseWhole(opts.chunkSize, "--chunk-size", 0, 5000) : DEFAULT_CHUNK,
  };
}

/** Fetches the matching nodes a page at a time (up to `limit`); `more` counts the matching nodes left out. */
export async function fetchNodes(client: Kube9Client, q: NodeQuery): Promise<{ items: NodeDTO[]; more: number }> {
  const filters = { ...(q.status ? { status: q.status } : {}), ...(q.selector !== undefined ? { selector: q.selector } : {}) };
  if (q.chunkSize === 0) {
    const all = await client.nodes.list.query(filters);
    return q.limit === undefined ? { items: all, more: 0 } : { items: all.slice(0, q.limit), more: Math.max(0, all.length - q.limit) };
  }
  const items: NodeDTO[] = [];
  let next: string | undefined;
  for (;;) {
    const want = q.limit === undefined ? q.chunkSize : Math.min(q.chunkSize, q.limit - items.length);
    const page = await client.nodes.page.query({ limit: want, ...filters, ...(next ? { continue: next } : {}) });
    items.push(...page.items);
    if (!page.continue) return { items, more: 0 };
    if (q.limit !== undefined && items.length >= q.limit) return { items, more: page.remaining };
    next = page.continue;
  }
}

/** Fetches pods (of one namespace, or all) a page at a time in creation order, up to `limit`; `more` counts those left out. */
export async function fetchPods(client: Kube9Client, q: { limit?: number; chunkSize: number }, namespace: string | undefined): Promise<{ items: PodDTO[]; more: number }> {
  const filters = namespace !== undefined ? { namespace } : {};
  if (q.chunkSize === 0) {
    const all = await client.pods.list.query(filters);
    return q.limit === undefined ? { items: all, more: 0 } : { items: all.slice(0, q.limit), more: Math.max(0, all.length - q.limit) };
  }
  const items: PodDTO[] = [];
  let next: string | undefined;
  for (;;) {
    const want = q.limit === undefined ? q.chunkSize : Math.min(q.chunkSize, q.limit - items.length);
    const page = await client.pods.page.query({ limit: want, ...filters, ...(next ? { continue: next } : {}) });
    items.push(...page.items);
    if (!page.continue) return { items, more: 0 };
    if (q.limit !== undefined && items.length >= q.limit) return { items, more: page.remaining };
    next = page.continue;
  }
}

/** The note under a list cut short by --limit (on stderr, so scripts reading stdout see only the list). */
export function moreNote(shown: number, more: number, noun = "nodes"): string | undefined {
  return more > 0 ? `${shown} ${noun} shown, ${more} more match (raise --limit to see them)` : undefined;
}

/** Whether any of the paging flags was given (`get` takes them only for nodes). */
export function pagingFlagsGiven(opts: NodeListFlags): boolean {
  return opts.selector !== undefined || opts.limit !== undefined || opts.chunkSize !== undefined;
}

/** Throws unless the kind takes the paging flags: nodes all of them, pods --limit and --chunk-size. */
export function onlyForNodes(kind: string, opts: NodeListFlags): void {
  if (kind === "node") return;
  if (kind === "pod") {
    if (opts.selector !== undefined) throw new CliError("-l/--selector applies to nodes only (got pods)");
    return;
  }
  if (pagingFlagsGiven(opts)) throw new CliError(`-l/--selector applies to nodes only, --limit and --chunk-size to nodes and pods (got ${kind}s)`);
}
