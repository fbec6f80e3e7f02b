import { isLogLevel, LOG_LEVELS, type LogLevel } from "./log.js";

/** The agent's configuration, as read from the environment. */
export interface AgentConfig {
  url: string;
  nodeId: string;
  token: string;
  name: string | undefined;
  logLevel: LogLevel;
}

export type ConfigResult = { ok: true; config: AgentConfig } | { ok: false; errors: string[] };

/**
 * Reads and checks KUBE9_URL, KUBE9_NODE_ID, KUBE9_NODE_TOKEN, KUBE9_NODE_NAME and KUBE9_LOG_LEVEL.
 * Every problem is reported at once so a misconfigured container needs one restart, not five.
 */
export function readConfig(env: Record<string, string | undefined>): ConfigResult {
  const errors: string[] = [];
  const get = (key: string) => {
    const value = env[key]?.trim();
    return value === "" ? undefined : value;
  };

  const url = get("KUBE9_URL");
  if (url === undefined) {
    errors.push("KUBE9_URL is required (the API base URL, e.g. http://127.0.0.1:7070)");
  } else {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      errors.push(`KUBE9_URL is not a valid URL: "${url}"`);
    }
    if (parsed && parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      errors.push(`KUBE9_URL must start with http:// or https://, got "${url}"`);
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

  if (errors.length > 0 || url === undefined || nodeId === undefined || token === undefined || !isLogLevel(level)) {
    return { ok: false, errors };
  }
  return { ok: true, config: { url, nodeId, token, name: get("KUBE9_NODE_NAME"), logLevel: level } };
}
