/**
 * The leader lease when the leader is cut off from PostgreSQL (its packets vanish; no connection is
 * closed): the cut-off leader must notice within seconds and stop leading, and the server must free the
 * lock so another process takes over. A TCP proxy between the leader and the server plays the network
 * cut. Needs PostgreSQL; fails when KUBE9_REQUIRE_POSTGRES=1 and no server is given.
 */
import { randomBytes } from "node:crypto";
import net from "node:net";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/index.js";
import type { Database } from "../src/types.js";
import { LEADER_LEASE_TIMINGS } from "../src/advisory-lock.js";

const adminUrl = process.env.KUBE9_TEST_PG_URL;

it("the PostgreSQL suite runs when CI requires it", () => {
  expect(process.env.KUBE9_REQUIRE_POSTGRES === "1" && !adminUrl, "KUBE9_REQUIRE_POSTGRES=1 but KUBE9_TEST_PG_URL is not set").toBe(false);
});

/** Forwards TCP to the server until cut; after the cut every byte either way is swallowed and the sockets stay open. */
class CuttableProxy {
  private readonly sockets = new Set<net.Socket>();
  private cut = false;
  private server: net.Server | null = null;

  async start(host: string, port: number): Promise<number> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(port, host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("error", () => {});
        s.on("close", () => this.sockets.delete(s));
      }
      client.on("data", (d) => void (this.cut || upstream.write(d)));
      upstream.on("data", (d) => void (this.cut || client.write(d)));
      client.on("end", () => this.cut || upstream.end());
      upstream.on("end", () => this.cut || client.end());
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", () => r()));
    return (this.server.address() as net.AddressInfo).port;
  }

  cutOff(): void {
    this.cut = true;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Resolves with the promise's value, or "hung" when it has not settled within ms. */
function within<T>(p: Promise<T>, ms: number): Promise<T | "hung"> {
  return Promise.race([p, new Promise<"hung">((r) => setTimeout(() => r("hung"), ms).unref())]);
}

describe.runIf(adminUrl)("leader lease on PostgreSQL, leader cut off", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const f of cleanups.reverse()) await f().catch(() => {});
  });

  it("the cut-off leader stops leading within seconds and another process takes the lease", async () => {
    const name = `kube9_failover_${randomBytes(5).toString("hex")}`;
    await admin(`create database ${name}`);
    cleanups.push(() => admin(`drop database if exists ${name} with (force)`));
    const direct = new URL(adminUrl!);
    direct.pathname = `/${name}`;
    const proxy = new CuttableProxy();
    const proxyPort = await proxy.start(direct.hostname, Number(direct.port || 5432));
    const viaProxy = new URL(direct);
    viaProxy.hostname = "127.0.0.1";
    viaProxy.port = String(proxyPort);

    const leader: Database = await openDatabase({ url: viaProxy.toString(), poolSize: 2 });
    cleanups.push(async () => {
      await proxy.close();
      await within(leader.close(), 10_000);
    });
    const other: Database = await openDatabase({ url: direct.toString(), poolSize: 2 });
    cleanups.push(() => other.close());

    expect(await leader.tryAcquireLeadership()).toBe(true);
    expect(await other.tryAcquireLeadership()).toBe(false);
    // The leader keeps its session busy by itself (no election tick needed) for longer than the server's idle limit.
    await new Promise((r) => setTimeout(r, LEADER_LEASE_TIMINGS.serverIdleMs + 2_000));
    expect(await other.tryAcquireLeadership()).toBe(false);
    expect(await leader.tryAcquireLeadership()).toBe(true);

    proxy.cutOff();
    const cutAt = Date.now();
    // The cut-off leader's check gets no answer: it gives the lease up instead of hanging.
    expect(await within(leader.tryAcquireLeadership(), 15_000)).toBe(false);
    const leaderNoticedMs = Date.now() - cutAt;

    let takenMs = -1;
    while (Date.now() - cutAt < 40_000) {
      if (await other.tryAcquireLeadership()) {
        takenMs = Date.now() - cutAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    console.log(`leader cut off: it stopped leading after ${leaderNoticedMs} ms; another process led after ${takenMs} ms`);
    expect(takenMs, "nobody took the lease over").toBeGreaterThan(0);
    // The old leader stops before the new one starts: never two leaders.
    expect(leaderNoticedMs).toBeLessThan(takenMs);
  }, 90_000);
});
