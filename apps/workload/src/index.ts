/** The workload's command-line contract, for code that builds workload commands or documents them. */
export { helpText, MODE_NAMES, MODES, parseCommand, type ModeName, type ParseResult, type Request } from "./cli.js";
export { threadCount } from "./modes/cpu.js";
export { podName } from "./modes/http.js";
