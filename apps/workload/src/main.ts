/** The kube9/workload program: `node workload.cjs <mode> [flags]` (see --help). */
import { helpText, parseCommand, type Request } from "./cli.js";
import { runCpu } from "./modes/cpu.js";
import { runHttp } from "./modes/http.js";
import { runMemory } from "./modes/memory.js";

/** Exit code for a bad command line, as shells and getopt use it. */
const EXIT_USAGE = 2;

/** Exits with `code` on SIGTERM/SIGINT, at once: a pod being stopped must not wait on us. */
function exitOnSignals(code: (signal: NodeJS.Signals) => number): void {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      const status = code(signal);
      console.log(`received ${signal}, exiting${status === 0 ? "" : ` with code ${status}`}`);
      process.exit(status);
    });
  }
}

/** Starts the requested mode; long-running modes then live on their timers, threads or sockets. */
function run(request: Request): void {
  switch (request.mode) {
    case "exit":
      console.log(`workload exit: exiting with code ${request.code}`);
      process.exit(request.code);
      break;
    case "crash": {
      // A crash keeps its meaning even when stopped early: the container still ends with its code.
      exitOnSignals(() => request.exitCode);
      console.log(`workload crash: will exit with code ${request.exitCode} after ${request.afterS} s, pid ${process.pid}`);
      setTimeout(() => {
        console.log(`workload crash: ${request.afterS} s have passed, exiting with code ${request.exitCode} as asked`);
        process.exit(request.exitCode);
      }, request.afterS * 1000);
      break;
    }
    case "idle":
      exitOnSignals(() => 0);
      console.log(`workload idle: sleeping until SIGTERM, pid ${process.pid}`);
      setInterval(() => {}, 1 << 30);
      break;
    case "cpu":
      exitOnSignals(() => 0);
      runCpu(request.millicores);
      break;
    case "memory":
      exitOnSignals(() => 0);
      runMemory(request.mib, request.growMibPerS);
      break;
    case "http":
      exitOnSignals(() => 0);
      runHttp(request.port, request.host);
      break;
  }
}

const parsed = parseCommand(process.argv.slice(2));
if (parsed.ok) run(parsed.request);
else if ("help" in parsed) console.log(helpText());
else {
  process.stderr.write(`${parsed.error}\n`);
  process.exitCode = EXIT_USAGE;
}
