// `kube9 up` on the embedded database as a user's machine treats it: the terminal closing (SIGHUP),
// kill -9 at any moment, the files it leaves (permissions, what it prints), and the option that keeps
// /metrics and /openapi.json to admins.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createKube9Client } from "@kube9/client";
import { afterAll, describe, expect, it } from "vitest";

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), "../dist/main.js");
const homes: string[] = [];
const running = new Set<ChildProcess>();

afterAll(() => {
  for (const child of running) child.kill("SIGKILL");
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), "kube9-up-safety-"));
  homes.push(home);
  return home;
}

function env(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, KUBE9_HOME: home, NO_COLOR: "1", ...extra };
  for (const k of ["KUBE9_URL", "KUBE9_TOKEN", "DATABASE_URL", "KUBE9_PORT", "KUBE9_HOST", "KUBE9_RUNTIME", "KUBE9_ADMIN_TOKEN", "KUBE9_PROTECT_METRICS"]) {
    if (!(k in extra)) delete e[k];
  }
  return e;
}

interface Up {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the API URL once up says it runs, or undefined when it exits first. */
  ready: Promise<string | undefined>;
}

function startUp(home: string, args: string[] = [], extra: Record<string, string> = {}): Up {
  const child = spawn(process.execPath, [CLI, "up", "--port", "0", "--runtime", "process", ...args], { env: env(home, extra), stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on("exit", (code, signal) => {
      running.delete(child);
      r({ code, signal });
    }),
  );
  const ready = new Promise<string | undefined>((r) => {
    const onData = () => {
      if (out.includes("Press Ctrl-C to stop")) r(/API:\s+(\S+)/.exec(out)?.[1]);
    };
    child.stdout!.on("data", onData);
    void exited.then(() => r(undefined));
  });
  return { child, out: () => out, err: () => err, exited, ready };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("kube9 up on the embedded database", () => {
  it("keeps KUBE9_HOME 0700 and config.json 0600 even when they existed with wider modes, and prints where the token is, not the token", async () => {
    const home = newHome();
    chmodSync(home, 0o755);
    writeFileSync(join(home, "config.json"), "{}\n", { mode: 0o644 });
    chmodSync(join(home, "config.json"), 0o644);
    const up = startUp(home);
    const url = await up.ready;
    expect(url, up.err()).toBeDefined();
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, "config.json")).mode & 0o777).toBe(0o600);
    const { token } = JSON.parse(readFileSync(join(home, "config.json"), "utf8")) as { token: string };
    expect(token.length).toBeGreaterThan(10);
    expect(up.out()).not.toContain(token);
    expect(up.err()).not.toContain(token);
    expect(up.out()).toContain(`"token" in ${join(home, "config.json")}`);
    // The terminal closing stops it as Ctrl-C does: exit 0, the data folder unlocked.
    up.child.kill("SIGHUP");
    const done = await Promise.race([up.exited, sleep(30_000).then(() => "timeout" as const)]);
    expect(done, "kube9 up did not stop within 30 s of SIGHUP").toEqual({ code: 0, signal: null });
    expect(up.out()).toMatch(/stopped\n$/);
    expect(existsSync(join(home, "data.lock"))).toBe(false);

    const again = startUp(home, ["--show-token"]);
    expect(await again.ready, again.err()).toBeDefined();
    expect(again.out()).toContain(`sign in with the admin token: ${token})`);
    again.child.kill("SIGTERM");
    expect((await again.exited).code).toBe(0);
  }, 120_000);

  it("--protect-metrics: /metrics and /openapi.json need the admin token", async () => {
    const home = newHome();
    const up = startUp(home, ["--protect-metrics"]);
    const url = await up.ready;
    expect(url, up.err()).toBeDefined();
    const { token } = JSON.parse(readFileSync(join(home, "config.json"), "utf8")) as { token: string };
    try {
      for (const path of ["/metrics", "/openapi.json"]) {
        const anonymous = await fetch(`${url}${path}`);
        expect(anonymous.status, path).toBe(401);
        expect(await anonymous.text()).toContain("needs the admin token");
        expect((await fetch(`${url}${path}`, { headers: { authorization: "Bearer wrong-token-0123456789" } })).status).toBe(401);
        expect((await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } })).status, path).toBe(200);
      }
      // Liveness stays open: load balancers probe it without credentials.
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      up.child.kill("SIGTERM");
      await up.exited;
    }
  }, 120_000);

  it("kill -9 at random moments: every restart comes up with every acknowledged pod, or says the folder is damaged and what to do", async () => {
    const home = newHome();
    let acknowledged: string[] = [];
    let lastStartMs = 10_000;
    const outcomes: string[] = [];
    const ITERATIONS = 10;
    for (let i = 0; i <= ITERATIONS; i++) {
      const final = i === ITERATIONS;
      const began = Date.now();
      const up = startUp(home);
      // The first kills land while the first start creates the database (initdb), then half while it
      // starts (recovery, migrations, loading), half during writes.
      const duringInitdb = i < 2 && !existsSync(join(home, "data", "PG_VERSION"));
      const whileStarting = i % 2 === 0;
      let killer: NodeJS.Timeout | undefined;
      if (duringInitdb) {
        const poll = setInterval(() => {
          // Wherever PostgreSQL's files are being written (the folder itself, or one beside it).
          if (!readdirSync(home).some((f) => f.startsWith("data") && existsSync(join(home, f, "base")))) return;
          clearInterval(poll);
          killer = setTimeout(() => up.child.kill("SIGKILL"), Math.random() * 1500);
        }, 20);
        void up.exited.then(() => clearInterval(poll));
      } else if (!final && whileStarting) {
        killer = setTimeout(() => up.child.kill("SIGKILL"), Math.random() * lastStartMs);
      }
      const hang = setTimeout(() => up.child.kill("SIGKILL"), 180_000);
      const url = await up.ready;
      if (url && !final && !whileStarting && !duringInitdb) killer = setTimeout(() => up.child.kill("SIGKILL"), Math.random() * 2500);
      if (url) {
        lastStartMs = Date.now() - began;
        const { token } = JSON.parse(readFileSync(join(home, "config.json"), "utf8")) as { token: string };
        const client = createKube9Client({ url, token });
        const listed = await client.pods.list.query().catch(async (err: unknown) => {
          // Only the kill may cut the check short.
          if ((await up.exited).signal !== "SIGKILL") throw err;
          return undefined;
        });
        if (listed) {
          const names = new Set(listed.map((p) => p.name));
          const missing = acknowledged.filter((n) => !names.has(n));
          expect(missing, `restart ${i} lost acknowledged pods`).toEqual([]);
          outcomes.push(`up with ${names.size} pods`);
        }
        if (final || !listed) {
          up.child.kill("SIGTERM");
        } else {
          // Writes until the kill lands: a launch answered is a pod that must survive.
          for (let k = 0; ; k++) {
            try {
              await client.pods.launch.mutate({ name: `p${i}-${k}`, cpu: 0.1 });
              acknowledged.push(`p${i}-${k}`);
            } catch {
              break;
            }
          }
        }
      }
      const exit = await up.exited;
      clearTimeout(killer);
      clearTimeout(hang);
      const stderr = up.err();
      // Never a stack trace, whatever happened.
      expect(stderr, `restart ${i}`).not.toMatch(/\n\s+at /);
      if (exit.signal === "SIGKILL") {
        if (!url) outcomes.push(duringInitdb ? "killed in initdb" : "killed while starting");
        expect(Date.now() - began, `restart ${i} hung`).toBeLessThan(180_000);
        continue;
      }
      if (url) {
        expect(exit.code).toBe(0);
        continue;
      }
      // It exited on its own before running: only the damaged-folder explanation is acceptable.
      expect(exit.code, stderr).toBe(1);
      expect(stderr).toMatch(/the embedded database in .*data cannot be opened .* Restore the folder from a backup, or move it aside .*mv /);
      outcomes.push("damaged: moved aside");
      renameSync(join(home, "data"), join(home, `data.damaged-${i}`));
      acknowledged = [];
    }
    expect(outcomes.at(-1)).toMatch(/^up with/);
    // Seen when the suite fails: what each restart did.
    console.log(`kill -9 loop: ${outcomes.join("; ")}`);
  }, 600_000);

  it("a folder that an interrupted initdb left half made is reported as damaged, with what to do", async () => {
    const home = newHome();
    // What a kill during the first start left before openings went through a folder aside: the
    // files of a data folder without its catalog.
    mkdirSync(join(home, "data", "base"), { recursive: true });
    writeFileSync(join(home, "data", "PG_VERSION"), "17\n");
    const up = startUp(home);
    expect(await up.ready).toBeUndefined();
    const exit = await up.exited;
    expect(exit.code).toBe(1);
    expect(up.err()).toMatch(/the embedded database in .*data cannot be opened/);
    expect(up.err()).toContain(`mv ${join(home, "data")} ${join(home, "data")}.damaged`);
    expect(up.err()).not.toMatch(/\n\s+at /);
  }, 120_000);
});
