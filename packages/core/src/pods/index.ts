export * from "./types.js";
export * from "./quantity.js";
