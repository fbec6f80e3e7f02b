export * from "./types.js";
export * from "./hollow-usage.js";
