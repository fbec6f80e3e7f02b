import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseConfigFile, type Kube9ConfigFile } from "@kube9/client";
import { CliError } from "./errors.js";

export const DEFAULT_SERVER = "http://127.0.0.1:7070";

/** Where a setting came from; error messages name it so users know what to fix. */
export type Source = "flag" | "env" | "config" | "default";

/** How the CLI will talk to the API, and why. */
export interface Connection {
  url: string;
  token: string | undefined;
  urlSource: Source;
  tokenSource: Source;
  configPath: string;
  /** Set when config.json had a token we deliberately did not send. */
  tokenIgnoredReason?: string;
}

/** The Kube-9 home folder: $KUBE9_HOME, else ~/.kube9. */
export function kube9Home(env: NodeJS.ProcessEnv = process.env): string {
  return env.KUBE9_HOME && env.KUBE9_HOME.trim() ? env.KUBE9_HOME : join(homedir(), ".kube9");
}

/** Reads config.json; a missing file is normal (undefined), a broken one is an error worth reporting. */
export function readConfigFile(path: string): Kube9ConfigFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return parseConfigFile(text, path);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/**
 * The token given by --token-file F or --token - (stdin): a token on the command line is visible to
 * every user of the machine in `ps`, a file or a pipe is not. Undefined when neither was used.
 */
export function readTokenFlags(flags: { token?: string; tokenFile?: string }, readStdin: () => string = () => readFileSync(0, "utf8")): string | undefined {
  if (flags.tokenFile !== undefined && flags.token !== undefined) throw new CliError("use --token or --token-file, not both");
  let text: string;
  let from: string;
  if (flags.tokenFile !== undefined) {
    from = `--token-file ${flags.tokenFile}`;
    try {
      text = readFileSync(flags.tokenFile, "utf8");
    } catch (err) {
      throw new CliError(`cannot read --token-file ${flags.tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else if (flags.token === "-") {
    from = "--token - (standard input)";
    text = readStdin();
  } else {
    return undefined;
  }
  const token = text.trim();
  if (!token) throw new CliError(`${from} gave an empty token`);
  if (/\s/.test(token)) throw new CliError(`${from} must hold only the token (one line, no spaces)`);
  return token;
}

/** Checks a server URL is http(s) and strips trailing slashes so comparisons are exact. */
export function normalizeServer(raw: string, label: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`${label} must be an http:// or https:// URL (got "${raw}")`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(`${label} must be an http:// or https:// URL (got "${raw}")`);
  }
  return raw.trim().replace(/\/+$/, "");
}

/** Picks server and token: flag > env > config file > default, each field on its own. */
export function resolveConnection(
  flags: { server?: string; token?: string },
  env: NodeJS.ProcessEnv,
  readConfig: (path: string) => Kube9ConfigFile | undefined = readConfigFile,
): Connection {
  const configPath = join(kube9Home(env), "config.json");
  const file = readConfig(configPath) ?? {};
  const fileServer = file.server ? normalizeServer(file.server, configPath + ' "server"') : undefined;

  let url = DEFAULT_SERVER;
  let urlSource: Source = "default";
  if (flags.server) {
    url = normalizeServer(flags.server, "--server");
    urlSource = "flag";
  } else if (env.KUBE9_URL) {
    url = normalizeServer(env.KUBE9_URL, "KUBE9_URL");
    urlSource = "env";
  } else if (fileServer) {
    url = fileServer;
    urlSource = "config";
  }

  let token: string | undefined;
  let tokenSource: Source = "default";
  let tokenIgnoredReason: string | undefined;
  if (flags.token) {
    token = flags.token;
    tokenSource = "flag";
  } else if (env.KUBE9_TOKEN) {
    token = env.KUBE9_TOKEN;
    tokenSource = "env";
  } else if (file.token) {
    // The saved admin token belongs to the saved server; never hand it to a different one.
    if (!fileServer || fileServer === url) {
      token = file.token;
      tokenSource = "config";
    } else {
      tokenIgnoredReason = `the token in ${configPath} is for ${fileServer}, not ${url}`;
    }
  }
  return { url, token, urlSource, tokenSource, configPath, ...(tokenIgnoredReason ? { tokenIgnoredReason } : {}) };
}
