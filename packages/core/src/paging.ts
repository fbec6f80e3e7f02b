// Lists of thousands of objects come in pages, as Kubernetes' list calls do (limit + continue):
// objects in a stable order by an increasing key (a node's registration order), and a continue token
// that names the last key given, so a page is never shifted by objects added or deleted meanwhile.

/** One page of a list. */
export interface Page<T> {
  items: T[];
  /** Pass it back to get the next page; null on the last page. */
  continue: string | null;
  /** How many matching objects come after this page. */
  remaining: number;
}

const PREFIX = "k9c1.";

/** The opaque token for "after the object with this key". */
export function encodeContinue(key: number): string {
  return PREFIX + key.toString(36);
}

/** The key a token stands for, or an error naming what is wrong with it. */
export function decodeContinue(token: string): { ok: true; key: number } | { ok: false; error: string } {
  const bad = { ok: false as const, error: `continue: "${token.slice(0, 40)}" is not a continue token from a previous page` };
  if (!token.startsWith(PREFIX)) return bad;
  const text = token.slice(PREFIX.length);
  if (!/^[0-9a-z]{1,10}$/.test(text)) return bad;
  return { ok: true, key: parseInt(text, 36) };
}

/** The page of `items` (sorted by increasing `key`) after `afterKey` (null: from the start), at most `limit` long. */
export function pageAfter<T>(items: readonly T[], key: (item: T) => number, afterKey: number | null, limit: number): Page<T> {
  let start = 0;
  if (afterKey !== null) {
    // Binary search for the first key greater than afterKey.
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (key(items[mid]!) <= afterKey) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const page = items.slice(start, start + limit);
  const remaining = Math.max(0, items.length - start - page.length);
  return { items: page, continue: remaining > 0 && page.length > 0 ? encodeContinue(key(page.at(-1)!)) : null, remaining };
}
