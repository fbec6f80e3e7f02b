/** What changed when a pod set converged to the desired ids. */
export interface PodChanges {
  started: string[];
  stopped: string[];
}

/** Makes `current` equal to the set of `desired` ids, in place, and returns what changed. */
export function convergePods(current: Set<string>, desired: Iterable<string>): PodChanges {
  const want = new Set(desired);
  const stopped: string[] = [];
  for (const id of current) {
    if (!want.has(id)) stopped.push(id);
  }
  for (const id of stopped) current.delete(id);
  const started: string[] = [];
  for (const id of want) {
    if (!current.has(id)) {
      current.add(id);
      started.push(id);
    }
  }
  return { started, stopped };
}
