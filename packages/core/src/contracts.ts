import { LIMITS } from "./config.js";
import type { RuntimeKind } from "./types.js";

// Shapes and rules that more than one program speaks (API, CLI, dashboard, agent), defined once so they
// cannot drift apart. Pure: no I/O here; callers read files and wrap errors in their own types.

/** What a nodes/pods watch sends: the list first, then one changed object at a time. */
export type WatchMessage<T> = { type: "snapshot"; items: T[] } | { type: "change"; item: T };

/** The contents of $KUBE9_HOME/config.json, written by `kube9 up` and read by the CLI. */
export interface Kube9ConfigFile {
  server?: string;
  token?: string;
}

/**
 * The node runtimes a control plane can default to (`kube9 up --runtime`, KUBE9_RUNTIME): "auto" picks docker
 * when a Docker engine answers, else process. hollow is only chosen per node.
 */
export const CONTROL_PLANE_RUNTIMES = ["auto", "process", "docker"] as const satisfies readonly ("auto" | RuntimeKind)[];
export type ControlPlaneRuntime = (typeof CONTROL_PLANE_RUNTIMES)[number];

const CONFIG_EXAMPLE = '{"server": "...", "token": "..."}';

/**
 * Parses config.json text; `path` only names the file in error messages. Throws an Error users can act on
 * when the text is not a JSON object; fields that are not non-empty strings are dropped, not fatal.
 */
export function parseConfigFile(text: string, path: string): Kube9ConfigFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not valid JSON (expected ${CONFIG_EXAMPLE})`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error(`${path} must hold a JSON object ${CONFIG_EXAMPLE}`);
  }
  const { server, token } = parsed as Record<string, unknown>;
  return {
    server: typeof server === "string" && server ? server : undefined,
    token: typeof token === "string" && token ? token : undefined,
  };
}

/** Label keys and values are at most this long (as in Kubernetes). */
export const MAX_LABEL_LENGTH = 63;

/** Label keys (Kubernetes-like): alphanumeric ends, "-", "_", "." and "/" inside. Length is checked apart. */
export const LABEL_KEY_PATTERN = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;

/** Label values: empty, or alphanumeric ends with "-", "_" and "." inside. Length is checked apart. */
export const LABEL_VALUE_PATTERN = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** The object-name rule (LIMITS.namePattern) in words; the length limit is worded by the caller. */
export const NAME_RULE = 'lowercase letters, digits and "-", starting and ending with a letter or digit';

/** The label-key rule (LABEL_KEY_PATTERN plus MAX_LABEL_LENGTH) in words. */
export const LABEL_KEY_RULE =
  `at most ${MAX_LABEL_LENGTH} letters, digits, "-", "_", "." or "/", starting and ending with a letter or digit`;

/** The label-value rule (LABEL_VALUE_PATTERN plus MAX_LABEL_LENGTH) in words. */
export const LABEL_VALUE_RULE =
  `empty or at most ${MAX_LABEL_LENGTH} letters, digits, "-", "_" or ".", starting and ending with a letter or digit`;

/** Whether a node or pod name is valid (the same check as the API's). */
export function isValidName(name: string): boolean {
  return name.length <= LIMITS.maxNameLength && LIMITS.namePattern.test(name);
}

/** Whether a label key is valid (the same check as the API's). */
export function isValidLabelKey(key: string): boolean {
  return key.length <= MAX_LABEL_LENGTH && LABEL_KEY_PATTERN.test(key);
}

/** Whether a label value is valid, the empty value included (the same check as the API's). */
export function isValidLabelValue(value: string): boolean {
  return value.length <= MAX_LABEL_LENGTH && LABEL_VALUE_PATTERN.test(value);
}
