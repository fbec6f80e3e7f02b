import { splitApiUrls } from "./api-client.js";
import { isLogLevel, LOG_LEVELS, type LogLevel } from "./log.js";

/** The agent's configuration, as read from the environment. */
export interface AgentConfig {
  /** The API address, or several separated by commas (tried in turn). */
  url: string;
  nodeId: string;
  token: string;
  name: string | undefined;
  logLevel: LogLevel;
  /** Container log directory (KUBE9_POD_LOG_DIR); undefined: a folder under the OS temp dir named by node id. */
  podLogDir: string | undefined;
  /** KUBE9_CGROUPS: "auto" limits containers with cgroups where writable, else the agent's memory guard; "off" never uses cgroups. */
  cgroups: CgroupsMode;
  /** KUBE9_POD_NETWORK: "auto" gives each pod its own network namespace and IP where the machine allows it; "off" never. */
  podNetwork: PodNetworkMode;
}

export const CGROUPS_MODES = ["auto", "off"] as const;
export type CgroupsMode = (typeof CGROUPS_MODES)[number];

function isCgroupsMode(value: string): value is CgroupsMode {
  return (CGROUPS_MODES as readonly string[]).includes(value);
}

export const POD_NETWORK_MODES = ["auto", "off"] as const;
export type PodNetworkMode = (typeof POD_NETWORK_MODES)[number];

export type ConfigResult = { ok: true; config: AgentConfig } | { ok: false; errors: string[] };

/**
 * Reads and checks KUBE9_URL, KUBE9_NODE_ID, KUBE9_NODE_TOKEN, KUBE9_NODE_NAME, KUBE9_LOG_LEVEL,
 * KUBE9_POD_LOG_DIR, KUBE9_CGROUPS and KUBE9_POD_NETWORK.
 * Every problem is reported at once so a misconfigured container needs one restart, not five.
 */
export function readConfig(env: Record<string, string | undefined>): ConfigResult {
  const errors: string[] = [];
  const get = (key: string) => {
    const value = env[key]?.trim();
    return value === "" ? undefined : value;
  };

  // One API address, or several separated by commas: any API process of the cluster can serve the node.
  const url = get("KUBE9_URL");
  if (url === undefined || splitApiUrls(url).length === 0) {
    errors.push("KUBE9_URL is required (the API base URL, e.g. http://127.0.0.1:7070, or several separated by commas)");
  } else {
    for (const one of splitApiUrls(url)) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(one);
      } catch {
        errors.push(`KUBE9_URL is not a valid URL: "${one}"`);
      }
      if (parsed && parsed.protocol !== "http:" && parsed.protocol !== "https:") {
        errors.push(`KUBE9_URL must start with http:// or https://, got "${one}"`);
      }
    }
  }

  const nodeId = get("KUBE9_NODE_ID");
  if (nodeId === undefined) errors.push("KUBE9_NODE_ID is required");
  else if (/\s/.test(nodeId)) errors.push(`KUBE9_NODE_ID must not contain whitespace: "${nodeId}"`);

  const token = get("KUBE9_NODE_TOKEN");
  // Never echo the token: it is a credential.
  if (token === undefined) errors.push("KUBE9_NODE_TOKEN is required");
  else if (/\s/.test(token)) errors.push("KUBE9_NODE_TOKEN must not contain whitespace");

  const level = get("KUBE9_LOG_LEVEL")?.toLowerCase() ?? "info";
  if (!isLogLevel(level)) {
    errors.push(`KUBE9_LOG_LEVEL must be one of ${LOG_LEVELS.join("|")}, got "${level}"`);
  }

  const podLogDir = get("KUBE9_POD_LOG_DIR");
  if (podLogDir !== undefined && !podLogDir.startsWith("/")) errors.push(`KUBE9_POD_LOG_DIR must be an absolute path, got "${podLogDir}"`);

  const cgroups = get("KUBE9_CGROUPS")?.toLowerCase() ?? "auto";
  if (!isCgroupsMode(cgroups)) errors.push(`KUBE9_CGROUPS must be one of ${CGROUPS_MODES.join("|")}, got "${cgroups}"`);

  const podNetwork = get("KUBE9_POD_NETWORK")?.toLowerCase() ?? "auto";
  const podNetworkOk = (POD_NETWORK_MODES as readonly string[]).includes(podNetwork);
  if (!podNetworkOk) errors.push(`KUBE9_POD_NETWORK must be one of ${POD_NETWORK_MODES.join("|")}, got "${podNetwork}"`);

  if (errors.length > 0 || url === undefined || nodeId === undefined || token === undefined || !isLogLevel(level) || !isCgroupsMode(cgroups) || !podNetworkOk) {
    return { ok: false, errors };
  }
  return { ok: true, config: { url, nodeId, token, name: get("KUBE9_NODE_NAME"), logLevel: level, podLogDir, cgroups, podNetwork: podNetwork as PodNetworkMode } };
}
