/**
 * What `kube9 up --runtime process` loads to start on the embedded database: Docker's client (dockerode,
 * with gRPC, protobuf and SSH) only when the docker runtime may be used, and the migrator (umzug and its
 * command-line tooling) only when a migration is pending. Each cost ~0.1-0.5 s of start and memory that
 * stayed for the life of the process. The modules are recorded by a preloaded script when the process exits.
 * And after creating a new cluster only the PGlite instance in use holds memory (the initdb one ran in a worker).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const CLI = resolve(here, "../dist/main.js");
const RECORDER = resolve(here, "fixtures/record-modules.cjs");
const dirs: string[] = [];
const running = new Set<ChildProcess>();

afterAll(() => {
  for (const child of running) child.kill("SIGKILL");
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Resident mappings of at least `mib` MiB in a process: PGlite's WebAssembly memory is one (~150 MiB of ~170). */
function bigResidentMappings(pid: number, mib: number): number {
  return [...readFileSync(`/proc/${pid}/smaps`, "utf8").matchAll(/^Rss:\s+(\d+) kB$/gm)].filter((m) => Number(m[1]) >= mib * 1024).length;
}

/**
 * Starts `kube9 up`, waits until it is ready, calls `whenReady` with its pid, stops it with SIGTERM and
 * returns the module files it had loaded.
 */
async function modulesOfOneStart(home: string, runtime: string, whenReady: (pid: number) => void = () => {}): Promise<string[]> {
  const out = join(home, `modules-${Date.now()}.txt`);
  const env: NodeJS.ProcessEnv = { ...process.env, KUBE9_HOME: home, KUBE9_TEST_MODULES_OUT: out, NO_COLOR: "1" };
  for (const k of ["DATABASE_URL", "KUBE9_PORT", "KUBE9_HOST", "KUBE9_RUNTIME", "KUBE9_ADMIN_TOKEN"]) delete env[k];
  const child = spawn(process.execPath, ["--require", RECORDER, CLI, "up", "--port", "0", "--runtime", runtime], { env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => (running.delete(child), r(code))));
  const ready = await new Promise<boolean>((r) => {
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes("Press Ctrl-C to stop")) r(true);
    });
    void exited.then(() => r(false));
  });
  expect(ready, `kube9 up did not start: ${stderr}`).toBe(true);
  const url = /API:\s+(\S+)/.exec(stdout)?.[1];
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  whenReady(child.pid!);
  child.kill("SIGTERM");
  expect(await exited, stderr).toBe(0);
  expect(existsSync(out), "the preloaded recorder wrote no module list").toBe(true);
  return readFileSync(out, "utf8").split("\n");
}

const loaded = (modules: string[], pkg: string) => modules.some((m) => m.includes(`/node_modules/${pkg}/`));

describe("kube9 up --runtime process on the embedded database", () => {
  it("never loads Docker's client, and loads the migrator on a new cluster but not on a restart", async () => {
    const home = mkdtempSync(join(tmpdir(), "kube9-up-startup-"));
    dirs.push(home);
    const first = await modulesOfOneStart(home, "process");
    // The recorder sees the packages that are loaded: the new cluster's migrations ran through umzug.
    expect(loaded(first, "umzug")).toBe(true);
    expect(loaded(first, "@mikro-orm/core")).toBe(true);
    expect(loaded(first, "dockerode")).toBe(false);
    expect(loaded(first, "@grpc/grpc-js")).toBe(false);

    const again = await modulesOfOneStart(home, "process");
    expect(loaded(again, "umzug")).toBe(false);
    expect(loaded(again, "@mikro-orm/migrations")).toBe(false);
    expect(loaded(again, "dockerode")).toBe(false);
  }, 120_000);

  it("keeps one PGlite memory resident after creating a new cluster, not the closed initdb instance's as well", async () => {
    const home = mkdtempSync(join(tmpdir(), "kube9-up-startup-"));
    dirs.push(home);
    let big = -1;
    await modulesOfOneStart(home, "process", (pid) => (big = bigResidentMappings(pid, 64)));
    expect(big).toBe(1);
  }, 120_000);
});
