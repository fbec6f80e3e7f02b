import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kube9ConfigFile } from "@kube9/client";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_SERVER, readConfigFile, resolveConnection } from "../src/config.js";

const HOME = "/tmp/k9home";
const fileWith = (cfg: Kube9ConfigFile | undefined) => () => cfg;
const SAVED = { server: "http://127.0.0.1:7171", token: "file-token" };

describe("resolveConnection precedence (flag > env > config file > default)", () => {
  const cases: {
    why: string;
    flags: { server?: string; token?: string };
    env: Record<string, string>;
    file: Kube9ConfigFile | undefined;
    want: { url: string; token: string | undefined; urlSource: string; tokenSource: string };
  }[] = [
    {
      why: "nothing anywhere: default URL, no token",
      flags: {}, env: {}, file: undefined,
      want: { url: DEFAULT_SERVER, token: undefined, urlSource: "default", tokenSource: "default" },
    },
    {
      why: "config file only (what `kube9 up` writes)",
      flags: {}, env: {}, file: SAVED,
      want: { url: SAVED.server, token: "file-token", urlSource: "config", tokenSource: "config" },
    },
    {
      why: "env beats config file for both fields",
      flags: {}, env: { KUBE9_URL: "http://env:1", KUBE9_TOKEN: "env-token" }, file: SAVED,
      want: { url: "http://env:1", token: "env-token", urlSource: "env", tokenSource: "env" },
    },
    {
      why: "flags beat env",
      flags: { server: "http://flag:2/", token: "flag-token" },
      env: { KUBE9_URL: "http://env:1", KUBE9_TOKEN: "env-token" }, file: SAVED,
      want: { url: "http://flag:2", token: "flag-token", urlSource: "flag", tokenSource: "flag" },
    },
    {
      why: "fields resolve independently: flag URL, env token",
      flags: { server: "http://flag:2" }, env: { KUBE9_TOKEN: "env-token" }, file: undefined,
      want: { url: "http://flag:2", token: "env-token", urlSource: "flag", tokenSource: "env" },
    },
    {
      why: "the saved token is used when the flag names the same server",
      flags: { server: "http://127.0.0.1:7171/" }, env: {}, file: SAVED,
      want: { url: SAVED.server, token: "file-token", urlSource: "flag", tokenSource: "config" },
    },
    {
      why: "the saved token is NOT sent to a different server (it is an admin credential)",
      flags: { server: "http://elsewhere:9" }, env: {}, file: SAVED,
      want: { url: "http://elsewhere:9", token: undefined, urlSource: "flag", tokenSource: "default" },
    },
    {
      why: "a config file with only a token applies it to whatever server is chosen",
      flags: {}, env: {}, file: { token: "t" },
      want: { url: DEFAULT_SERVER, token: "t", urlSource: "default", tokenSource: "config" },
    },
  ];

  it.each(cases)("$why", ({ flags, env, file, want }) => {
    const conn = resolveConnection(flags, { KUBE9_HOME: HOME, ...env }, fileWith(file));
    expect(conn).toMatchObject(want);
    expect(conn.configPath).toBe(join(HOME, "config.json"));
  });

  it("explains why a saved token was withheld", () => {
    const conn = resolveConnection({ server: "http://elsewhere:9" }, { KUBE9_HOME: HOME }, fileWith(SAVED));
    expect(conn.tokenIgnoredReason).toContain("is for http://127.0.0.1:7171");
  });

  const badUrls: [string, Record<string, string>, { server?: string }, string][] = [
    ["--server without a scheme", {}, { server: "localhost:7070" }, '--server must be an http:// or https:// URL (got "localhost:7070")'],
    ["KUBE9_URL with a wrong scheme", { KUBE9_URL: "ftp://x" }, {}, "KUBE9_URL must be an http:// or https:// URL"],
  ];
  it.each(badUrls)("rejects %s", (_why, env, flags, message) => {
    expect(() => resolveConnection(flags, { KUBE9_HOME: HOME, ...env }, fileWith(undefined))).toThrow(message);
  });
});

describe("readConfigFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "kube9-cli-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it("a missing file is not an error", () => expect(readConfigFile(join(dir, "nope.json"))).toBeUndefined());
  it("reads server and token", () =>
    expect(readConfigFile(write("ok.json", JSON.stringify(SAVED)))).toEqual(SAVED));
  it("ignores fields of the wrong type instead of sending them", () =>
    expect(readConfigFile(write("types.json", '{"server": 1, "token": ""}'))).toEqual({ server: undefined, token: undefined }));
  it("reports broken JSON with the path", () => {
    const p = write("broken.json", "{");
    expect(() => readConfigFile(p)).toThrow(`${p} is not valid JSON`);
  });
});
