export * from "./trace-csv.js";
export * from "./replay.js";
