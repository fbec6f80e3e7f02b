#!/usr/bin/env node
import { NodeAgent } from "./agent.js";
import { readConfig } from "./env.js";
import { createLogger } from "./log.js";

/** Exit codes the node runtimes rely on. */
const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_BAD_CONFIG = 2;
const EXIT_REJECTED = 3;
/** An agent its API process let go of exits once no API has answered for this long (it would be an orphan). */
const ORPHAN_AFTER_MS = 30_000;

/** Reads the environment, runs one agent until it ends or is signalled, and exits with its code. */
async function main(): Promise<number> {
  const result = readConfig(process.env);
  if (!result.ok) {
    for (const error of result.errors) process.stderr.write(`[agent] config error: ${error}\n`);
    return EXIT_BAD_CONFIG;
  }
  const { config } = result;
  // KUBE9_LOG_FORMAT=json: structured lines (the process runtime sets it for its log files).
  const log = createLogger({ name: config.name ?? config.nodeId, level: config.logLevel, json: process.env.KUBE9_LOG_FORMAT === "json" });
  const agent = new NodeAgent({
    url: config.url,
    nodeId: config.nodeId,
    token: config.token,
    log,
    name: config.name,
    kubelet: { cgroups: config.cgroups, podNetwork: config.podNetwork, ...(config.podLogDir ? { podLogDir: config.podLogDir } : {}) },
  });
  // Containers run in their own sessions, so nothing else ends them if this process exits abruptly.
  process.once("exit", () => agent.killContainersNow());

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      // The user asked twice: do not wait for the API any longer.
      log.warn(`${signal} again, exiting now`);
      process.exit(signal === "SIGINT" ? 130 : signal === "SIGHUP" ? 129 : 143);
    }
    signalled = true;
    log.info(`${signal} received, leaving the cluster`);
    void agent.stop({ leave: true, reason: `received ${signal}` });
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // The terminal closed (an agent started under "kube9 up" shares its process group): leave as on Ctrl-C,
  // instead of dying at once and leaving its containers behind.
  process.on("SIGHUP", onSignal);
  if (process.send) {
    // The process runtime spawns us with an IPC channel that closes when the API process that started us
    // stops or dies. The node belongs to the cluster, not to that process: while the agent knows other API
    // processes it carries on with them; an agent that knows no other, or that no API has answered for a
    // while, must not outlive its API as an orphan. No leave: the node is not going away on purpose.
    process.once("disconnect", () => {
      if (agent.apiUrls.length > 1) {
        log.warn(`the API process that started this agent is gone; carrying on with the others (${agent.apiUrls.join(", ")})`);
        const watchdog = setInterval(() => {
          if (Date.now() - agent.lastAnswerAt < ORPHAN_AFTER_MS) return;
          clearInterval(watchdog);
          log.warn(`no API process has answered for ${ORPHAN_AFTER_MS / 1000} s, exiting`);
          void agent.stop({ leave: false });
        }, 1000);
        watchdog.unref();
        return;
      }
      log.warn("the API process that started this agent is gone, exiting");
      void agent.stop({ leave: false });
    });
  }

  await agent.start();
  const exit = await agent.done;
  switch (exit.reason) {
    case "stopped":
      return EXIT_OK;
    case "rejected":
      return EXIT_REJECTED;
    case "failed":
      return EXIT_FAILED;
  }
}

// Logs go to a pipe owned by whoever started us; if it closes, losing log lines beats crashing.
process.stderr.on("error", () => {});

process.on("unhandledRejection", (reason) => {
  // A safety net: the agent itself handles every failure it expects.
  process.stderr.write(`[agent] unexpected: ${reason instanceof Error ? reason.message : String(reason)}\n`);
  process.exit(EXIT_FAILED);
});

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[agent] unexpected: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(EXIT_FAILED);
  },
);
