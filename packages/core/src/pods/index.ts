export * from "./types.js";
export * from "./quantity.js";
export type { FieldError } from "./field-errors.js";
export { portNameProblems } from "./probe-manifest.js";
export * from "./manifest.js";
export * from "./kubelet.js";
export * from "./probes.js";
export * from "./pod-status.js";
export * from "./protocol.js";
