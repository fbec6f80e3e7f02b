/** Formats integer millicores the way kube prints requests: 2000m, 250m. */
export function formatCpu(milli: number): string {
  return `${milli}m`;
}

/** Formats MiB the way kube prints memory: 512Mi. */
export function formatMemory(mib: number): string {
  return `${mib}Mi`;
}
