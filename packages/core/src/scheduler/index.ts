export * from "./format.js";
export * from "./filter.js";
export * from "./policies/index.js";
export * from "./cluster-index.js";
export * from "./explain.js";
export * from "./schedule.js";
export * from "./scheduling-queue.js";
