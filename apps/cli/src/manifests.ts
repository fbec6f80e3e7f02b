import { readFileSync } from "node:fs";
import { LineCounter, parseAllDocuments } from "yaml";
import { CliError } from "./errors.js";

// Reading `-f <file|->` the way kubectl does: a YAML stream of documents separated by `---` (JSON is
// YAML too), empty documents skipped, a `kind: List` unpacked into its items.

/** One object of a manifest file, with where it came from for error messages. */
export interface ManifestDoc {
  /** 1-based position in the file, counting every non-empty document (List items share their List's). */
  index: number;
  /** 1-based line the document starts on. */
  line: number;
  value: unknown;
}

/** How messages name a -f source: "-" is stdin, as kubectl calls it. */
export function sourceName(file: string): string {
  return file === "-" ? "STDIN" : file;
}

/** Parses manifest text into documents; any YAML syntax error fails the whole file, naming the file and line. */
export function parseManifests(text: string, file: string): ManifestDoc[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  // A stream with no documents at all (an empty file) comes back as an empty array or an EmptyStream.
  const list = Array.isArray(docs) ? docs : [];
  const out: ManifestDoc[] = [];
  let index = 0;
  for (const doc of list) {
    const [error] = doc.errors;
    if (error) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      const message = error.message.split("\n")[0] ?? error.message;
      throw new CliError(`cannot parse ${sourceName(file)}: line ${line}, column ${col}: ${message}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    index += 1;
    // The first content node, not the `---` marker, is where a reader looks for the document.
    const start = doc.contents?.range?.[0] ?? doc.range[0];
    const line = lineCounter.linePos(start).line;
    const list = asList(value);
    for (const item of list ?? [value]) out.push({ index, line, value: item });
  }
  return out;
}

/** The items of a v1 List (what `kubectl get -o yaml` writes), else undefined. */
function asList(value: unknown): unknown[] | undefined {
  if (!value || typeof value !== "object") return undefined;
  const v = value as { kind?: unknown; items?: unknown };
  return v.kind === "List" && Array.isArray(v.items) ? v.items : undefined;
}

/** Reads a -f source: a file, or stdin for "-". */
export async function readSource(file: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  if (file !== "-") {
    try {
      return readFileSync(file, "utf8");
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new CliError(code === "ENOENT" ? `the path "${file}" does not exist` : `cannot read ${file}: ${(err as Error).message}`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/** Reads and parses every -f source given, in order. */
export async function loadManifests(files: readonly string[]): Promise<{ file: string; docs: ManifestDoc[] }[]> {
  const out: { file: string; docs: ManifestDoc[] }[] = [];
  for (const file of files) out.push({ file, docs: parseManifests(await readSource(file), file) });
  return out;
}

/** The kind and metadata.name of a document, as far as they are there. */
export function identify(value: unknown): { kind?: string; name?: string } {
  if (!value || typeof value !== "object" || Array.isArray(value)) return {};
  const v = value as { kind?: unknown; metadata?: { name?: unknown } | null };
  const kind = typeof v.kind === "string" ? v.kind : undefined;
  const name = v.metadata && typeof v.metadata.name === "string" ? v.metadata.name : undefined;
  return { kind, name };
}

/** How kubectl names the resource of prometheus-operator's PrometheusRule in what it prints. */
export const PROMETHEUS_RULE_RESOURCE = "prometheusrule.monitoring.coreos.com";

/** How kubectl would name the resource of a Kube-9 NodeGroup (kube9.io/v1) in what it prints. */
export const NODE_GROUP_RESOURCE = "nodegroup.kube9.io";

/** A NodeGroup manifest (its apiVersion is left to the API, which names the one it takes). */
export function isNodeGroupManifest(value: unknown): boolean {
  return identify(value).kind === "NodeGroup";
}

/** Alert rules: a PrometheusRule, or a bare Prometheus rule file (`groups:` at the top, no Kubernetes fields). */
export function isRuleManifest(value: unknown): boolean {
  if (!value || typeof value !== "object" || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  if (v.kind === "PrometheusRule") return true;
  return "groups" in v && !("apiVersion" in v) && !("kind" in v) && !("spec" in v);
}

/** The alert names (`alert:`) in a rule manifest's groups, as far as they are there (the API checks the rest). */
export function ruleNames(value: unknown): string[] {
  const v = value as { kind?: unknown; groups?: unknown; spec?: { groups?: unknown } | null };
  const groups = v.kind === "PrometheusRule" ? v.spec?.groups : v.groups;
  if (!Array.isArray(groups)) return [];
  return groups
    .flatMap((g: { rules?: unknown } | null) => (Array.isArray(g?.rules) ? (g.rules as unknown[]) : []))
    .map((r) => (r as { alert?: unknown } | null)?.alert)
    .filter((a): a is string => typeof a === "string");
}

/**
 * Why a document cannot go to the API, or undefined when it is a Pod (or has no kind: the API says so), a
 * Namespace, a NetworkPolicy, a PrometheusRule, a bare rule file or a NodeGroup.
 */
export function unsupportedKind(doc: ManifestDoc, file: string): string | undefined {
  if (!doc.value || typeof doc.value !== "object" || Array.isArray(doc.value)) {
    return `${where(doc, file)}: not an object (a Kubernetes manifest is a mapping with apiVersion, kind, metadata, spec)`;
  }
  const { kind } = identify(doc.value);
  if (kind === undefined || ["Pod", "Namespace", "NetworkPolicy", "PrometheusRule", "NodeGroup"].includes(kind)) return undefined;
  return `${where(doc, file)}: kind "${kind}" is not supported: Kube-9 knows kinds "Pod", "Namespace", "NetworkPolicy" (networking.k8s.io/v1), "PrometheusRule" (monitoring.coreos.com/v1) and "NodeGroup" (kube9.io/v1)`;
}

/** "pods.yaml document 2 (line 14)": how errors point at a document. */
export function where(doc: ManifestDoc, file: string): string {
  return `${sourceName(file)} document ${doc.index} (line ${doc.line})`;
}
