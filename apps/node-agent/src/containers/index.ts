// The node's low-level container runtime: processes, logs, cgroups, probes and exec.
export * from "./cgroups.js";
export * from "./container-log.js";
export * from "./exec.js";
export * from "./memory-guard.js";
export * from "./probes.js";
export { ContainerStartError, startContainer } from "./process-container.js";
export type { ContainerExit, ContainerHandle, ExecContext, StartContainerOptions } from "./process-container.js";
export { containerPids, exitCodeOf } from "./proc.js";
export { DEFAULT_PATH } from "./launch.js";
