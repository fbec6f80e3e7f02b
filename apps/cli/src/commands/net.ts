import { compareMatrices, formatComparison, formatMatrix, type ReachabilityMatrix } from "@kube9/client";
import type { Command } from "commander";
import { print, withClient } from "../context.js";
import { CliError, ReportedError } from "../errors.js";
import { serialize } from "../output/format.js";
import { collect, parseChoice, parseSeconds } from "../parse.js";
import type { ProbeResultDTO } from "../types.js";

interface ProbeFlags {
  namespace?: string[];
  allNamespaces?: boolean;
  port?: string[];
  selector?: string;
  timeout: string;
  expect?: boolean;
  output?: string;
}

/** Reads --port: whole numbers 1..65535, repeatable or comma-separated. */
function parsePorts(raws: readonly string[] | undefined): number[] {
  const ports = (raws ?? ["80"]).flatMap((r) => r.split(",")).map((r) => r.trim());
  return ports.map((p) => {
    if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) throw new CliError(`--port must be a port number between 1 and 65535 (got "${p}")`);
    return Number(p);
  });
}

/** "ns/name" or a bare name in -n's namespace (default "default"). */
function podRef(raw: string, namespace: string | undefined): { namespace: string; name: string } {
  const text = raw.startsWith("pod/") ? raw.slice(4) : raw;
  const slash = text.indexOf("/");
  if (slash < 0) return { namespace: namespace ?? "default", name: text };
  if (namespace !== undefined && text.slice(0, slash) !== namespace) throw new CliError(`"${raw}" names namespace ${text.slice(0, slash)}, but -n says ${namespace}`);
  return { namespace: text.slice(0, slash), name: text.slice(slash + 1) };
}

/** The matrices of a probe for people: per port, the matrix, and with --expect where it disagrees with the policies. */
export function renderProbe(r: ProbeResultDTO): { text: string; wrong: number } {
  const blocks: string[] = [];
  let wrong = 0;
  const inForce = r.policiesInForce ? "policies in force" : "WARNING: some nodes had not put the current policies in force yet";
  for (const p of r.ports) {
    blocks.push(`Port ${p.port}/${p.protocol}: rows connect to columns ("." connected, "X" blocked, "?" not probed)`, formatMatrix(p.observed as ReachabilityMatrix));
    if (p.expected && p.comparison) {
      const cmp = compareMatrices(p.expected as ReachabilityMatrix, p.observed as ReachabilityMatrix);
      wrong += cmp.wrong;
      blocks.push("", cmp.wrong === 0 ? `Matches the policies: ${cmp.correct} cells agree (${cmp.ignored} pod-to-itself cells ignored).` : `Disagrees with the policies ("X" marks each cell where the dataplane differs):\n${formatComparison(cmp)}\n\nExpected from the policies:\n${formatMatrix(p.expected as ReachabilityMatrix)}`);
    }
    blocks.push("");
  }
  blocks.push(`${r.connections} connections from ${r.pods.length} pods in ${(r.durationMs / 1000).toFixed(2)} s; ${inForce}.`);
  for (const s of r.skipped) blocks.push(`skipped ${s.pod}: ${s.reason}`);
  for (const e of r.errors) blocks.push(`error: ${e}`);
  return { text: blocks.join("\n"), wrong };
}

/** Registers `kube9 net probe` and `kube9 net explain`. */
export function registerNetCommands(program: Command): void {
  const net = program.command("net").description("network policies in action: real connections between pods, and why each is allowed or blocked");

  net
    .command("probe")
    .description("connect from every selected pod to every selected pod (real TCP connections, from inside each pod's network) and print the reachability matrix")
    .option("-n, --namespace <names>", "namespaces whose pods take part (comma-separated or repeated; default \"default\")", collect)
    .option("-A, --all-namespaces", "pods of every namespace")
    .option("--port <port>", "port to connect to (repeatable or comma-separated; default 80)", collect)
    .option("-l, --selector <selector>", "only pods with these labels (kubectl syntax: app=web,tier!=db,env in (a,b))")
    .option("--timeout <seconds>", "how long one connection may take before it counts as blocked", "1")
    .option("--expect", "also evaluate the policies and mark every cell where the dataplane disagrees (exit 1 if any)")
    .option("-o, --output <format>", "table|json")
    .addHelpText("after", "\nExamples:\n  kube9 net probe -n x,y,z --port 80,81\n  kube9 net probe -A --expect\n  kube9 net probe -n x -l app=web -o json")
    .action(async (opts: ProbeFlags, cmd: Command) => {
      const output = parseChoice(opts.output ?? "table", ["table", "json"] as const, "-o");
      const namespaces = (opts.namespace ?? []).flatMap((n) => n.split(",")).map((n) => n.trim()).filter(Boolean);
      if (opts.allNamespaces && namespaces.length) throw new CliError("give either -n <namespaces> or -A (--all-namespaces), not both");
      const timeoutMs = parseSeconds(opts.timeout);
      if (timeoutMs < 50 || timeoutMs > 10_000) throw new CliError(`--timeout must be between 0.05 and 10 seconds (got "${opts.timeout}")`);
      const input = {
        ...(opts.allNamespaces ? {} : { namespaces: namespaces.length ? namespaces : ["default"] }),
        ports: parsePorts(opts.port),
        ...(opts.selector !== undefined ? { selector: opts.selector } : {}),
        timeoutMs,
        expect: !!opts.expect,
      };
      await withClient(cmd, async ({ client }) => {
        const result = await client.net.probe.mutate(input);
        if (output === "json") {
          print(serialize("json", result)!);
          return;
        }
        if (result.pods.length === 0 && result.skipped.length === 0) {
          process.stderr.write("No pods found to probe.\n");
          return;
        }
        const { text, wrong } = renderProbe(result);
        print(text);
        if (wrong > 0) throw new ReportedError(1);
      });
    });

  net
    .command("explain")
    .argument("<from>", "the pod that connects: <name> (in -n's namespace) or <namespace>/<name>")
    .argument("<to>", "the pod it connects to")
    .description("which policies select each side of one connection, and which rule allows it or why nothing does")
    .option("-n, --namespace <name>", "namespace of pods given without one (default \"default\")")
    .option("--port <port>", "the destination port", "80")
    .option("-o, --output <format>", "table|json")
    .addHelpText("after", "\nExamples:\n  kube9 net explain x/b x/a --port 80\n  kube9 net explain a b -n x --port 81")
    .action(async (from: string, to: string, opts: { namespace?: string; port: string; output?: string }, cmd: Command) => {
      const output = parseChoice(opts.output ?? "table", ["table", "json"] as const, "-o");
      const [port] = parsePorts([opts.port]);
      if (port === undefined || opts.port.includes(",")) throw new CliError("--port takes one port for explain");
      await withClient(cmd, async ({ client }) => {
        const res = await client.net.explain.query({ from: podRef(from, opts.namespace), to: podRef(to, opts.namespace), port });
        print(output === "json" ? serialize("json", res)! : res.text);
      });
    });
}
