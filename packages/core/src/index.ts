export * from "./types.js";
export * from "./config.js";
export * from "./contracts.js";
export * from "./scheduler/index.js";
export * from "./health.js";
export * from "./reschedule.js";
export * from "./pods/index.js";
export * from "./replay/index.js";
