import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runCli } from "../src/program.js";
import { EXIT } from "../src/errors.js";

// Captures what the CLI writes so each case can check it printed exactly one error line.
let stderr = "";
let stdout = "";
beforeEach(() => {
  stderr = "";
  stdout = "";
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

const run = (...args: string[]) =>
  // A server nobody listens on: none of these cases may get as far as the network.
  runCli(["node", "kube9", "--server", "http://127.0.0.1:9", ...args]);

describe("input is rejected before any API call, with one line and exit 1", () => {
  const cases: [string[], string][] = [
    [["node", "add", "--cpu", "abc"], 'error: --cpu must be a number of cores > 0 and <= 1024 (got "abc")'],
    [["node", "add", "--cpu", "0"], 'error: --cpu must be a number of cores > 0 and <= 1024 (got "0")'],
    [["node", "add", "--cpu", "2", "--label", "foo"], 'error: --label must be key=value (got "foo")'],
    [["node", "add", "--cpu", "2", "--role", "boss"], 'error: --role must be one of worker, master (got "boss")'],
    [["node", "add", "--cpu", "2", "--memory", "lots"], "error: --memory must be a whole number of MiB"],
    [["node", "add", "--cpu", "2", "--name", "Bad_Name"], "error: --name must be lowercase letters"],
    [["pod", "launch", "--cpu", "1", "--algorithm", "random"],
      'error: --algorithm must be one of first-fit, best-fit, worst-fit (got "random")'],
    [["pod", "launch", "--cpu", "1", "--selector", "zone"], 'error: --selector must be key=value (got "zone")'],
    [["pod", "list", "--status", "Sleeping"], "error: --status must be one of Pending, Scheduled, Running"],
    [["node", "list", "-o", "xml"], 'error: -o/--output must be one of table, wide, json, yaml (got "xml")'],
    [["cluster", "algorithm", "random"], 'error: algorithm must be one of first-fit, best-fit, worst-fit (got "random")'],
    [["events", "--limit", "0"], 'error: --limit must be a whole number from 1 to 1000 (got "0")'],
    [["node", "fail", "a", "--mode", "explode"], 'error: --mode must be one of kill, pause (got "explode")'],
    // The kubectl-style verbs check their arguments before calling the API too.
    [["get", "services"], 'error: the server doesn\'t have a resource type "services"'],
    [["describe", "deploy/web"], 'error: the server doesn\'t have a resource type "deploy"'],
    [["apply"], "error: must specify -f <file>"],
    [["apply", "-f", "/nonexistent/pods.yaml"], 'error: the path "/nonexistent/pods.yaml" does not exist'],
    [["delete"], "error: you must provide one or more resources"],
    [["delete", "pod"], "error: resource(s) were provided, but no name was specified"],
    [["delete", "pod", "web", "--grace-period", "soon"], "error: --grace-period must be a whole number"],
    [["delete", "pod", "web", "--wait=maybe"], 'error: --wait must be true or false (got "maybe")'],
    // Without `--`, the command's own options (sh -c) would be read as kube9's.
    [["exec", "web", "ls"], "error: put the command after --: kube9 exec web -- ls"],
    [["exec", "web", "--"], "error: you must specify a command to run"],
    [["exec", "-it", "web", "--", "sh"], "error: -i/-t are not supported"],
    [["logs", "web", "--tail", "x"], "error: --tail must be a whole number"],
    [["logs", "web", "-f", "-p"], "error: --follow and --previous cannot be used together"],
    [["pod", "launch"], "error: --cpu is required for a pod without --image"],
    [["pod", "launch", "--cpu", "1", "--count", "0"], 'error: --count must be a whole number from 1 to 100000 (got "0")'],
    [["pod", "launch", "--cpu", "1", "--count", "many"], 'error: --count must be a whole number from 1 to 100000 (got "many")'],
    [["pod", "launch", "--cpu", "1", "--count", "2", "--wait"], "error: --wait cannot be used with --count"],
    [["pod", "launch", "--cpu", "1", "--limit-cpu", "1"], "error: --limit-cpu needs --image"],
    [["pod", "launch", "--image", "busybox", "sleep"], "error: put the container's command after --"],
    [["pod", "launch", "--image", "busybox", "--limit-memory", "64m"], 'error: --limit-memory uses "m"'],
    // top and alerts
    [["top", "pods", "--sort-by", "disk"], 'error: --sort-by must be one of cpu, memory (got "disk")'],
    [["top", "nodes", "-o", "wide"], 'error: -o/--output must be one of table, json (got "wide")'],
    [["alerts", "-o", "yaml"], 'error: -o/--output must be one of table, json (got "yaml")'],
    [["alert", "rules", "-o", "xml"], 'error: -o/--output must be one of table, json, yaml (got "xml")'],
    [["alert", "rules", "set", "NodeCPUHigh", "--threshold", "high"], 'error: --threshold must be a number, e.g. 0.9 or 60 (got "high")'],
    [["alert", "rules", "set", "NodeCPUHigh", "--for", "1.5m"], "error: --for must be a Prometheus duration"],
    [["alert", "rules", "set", "NodeCPUHigh", "--for", "2d"], 'error: --for must be at most 24h (got "2d")'],
    [["alert", "rules", "set", "NodeCPUHigh"], "error: nothing to change: give --threshold, --for, --enable or --disable"],
    [["alert", "rules", "set", "NodeCPUHigh", "--enable", "--disable"], "error: --enable and --disable cannot be used together"],
    [["alert", "webhook", "hook.example"], 'error: url must be an http:// or https:// URL (got "hook.example")'],
    [["alert", "webhook", "http://127.0.0.1:9093/", "--clear"], "error: give a URL or --clear, not both"],
    // node groups and the autoscaler
    [["nodegroup", "create", "web", "--min", "0", "--max", "4", "--cpu", "2", "--unneeded-time", "30"], "error: --unneeded-time must be a Prometheus duration"],
    [["nodegroup", "create", "web", "--min", "5", "--max", "4", "--cpu", "2"], 'error: --max must be at least --min (5) (got "4")'],
    [["nodegroup", "create", "web", "--min", "0", "--max", "4", "--cpu", "2", "--memory", "1G"], "error: --memory must be a whole number of MiB"],
    [["nodegroup", "create", "web", "--min", "0", "--max", "4", "--cpu", "2", "--low-water", "0.9", "--high-water", "0.8"], "error: --high-water must be greater than --low-water (0.9)"],
    [["nodegroup", "scale", "web", "--size", "x"], 'error: --size must be a whole number from 0 to 1000 (got "x")'],
    [["nodegroup", "get", "web", "-o", "wide"], 'error: -o/--output must be one of table, json, yaml (got "wide")'],
    [["autoscaler", "status", "-o", "yaml"], 'error: -o/--output must be one of table, json (got "yaml")'],
    [["autoscaler", "expander", "cheapest"], 'error: expander must be one of least-waste, most-pods, random, priority (got "cheapest")'],
    [["get", "nodegroups", "-w"], "error: node groups cannot be watched; follow them with: kube9 autoscaler status -w"],
  ];
  it.each(cases)("%j", async (args, message) => {
    expect(await run(...args)).toBe(EXIT.error);
    expect(stderr.startsWith(message)).toBe(true);
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(stdout).toBe("");
  });
});

describe("commander's own errors: one line, exit 2", () => {
  const cases: [string[], RegExp][] = [
    [["node", "add"], /^error: required option '--cpu <cores>' not specified$/],
    // Commander reports a missing required option before an unknown one, so --cpu is given here.
    [["node", "add", "--cpu", "2", "--nmae", "x"], /^error: unknown option '--nmae' \(Did you mean --name\?\)$/],
    [["nodes"], /^error: unknown command 'nodes' \(Did you mean node\?\)$/],
    [["node", "get"], /^error: missing required argument 'name'$/],
    [["node", "list", "extra"], /^error: too many arguments for 'list'/],
    [["alert", "rules", "set"], /^error: missing required argument 'name'$/],
    [["alert", "rules", "delete"], /^error: missing required argument 'name'$/],
    [["top", "pods", "--sort-by"], /^error: option '--sort-by <field>' argument missing$/],
    [["nodegroup", "create", "web", "--min", "0", "--max", "4"], /^error: required option '--cpu <cores>' not specified$/],
    [["nodegroup", "scale", "web"], /^error: required option '--size <n>' not specified$/],
  ];
  it.each(cases)("%j", async (args, pattern) => {
    expect(await run(...args)).toBe(EXIT.usage);
    expect(stderr.trimEnd()).toMatch(pattern);
  });

  it("--help exits 0 and prints to stdout", async () => {
    expect(await run("node", "--help")).toBe(EXIT.ok);
    expect(stdout).toContain("Usage: kube9 node");
  });
});

describe("API reachability", () => {
  it("a refused connection is one clear line", async () => {
    expect(await run("node", "list")).toBe(EXIT.error);
    expect(stderr).toBe('error: cannot reach the Kube-9 API at http://127.0.0.1:9 (is "kube9 up" running?)\n');
  });
});
