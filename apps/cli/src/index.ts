export { buildProgram, runCli } from "./program.js";
export { resolveConnection, kube9Home, type Connection } from "./config.js";
