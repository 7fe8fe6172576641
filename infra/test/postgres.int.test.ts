import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { down } from "../src/local/down.ts";
import { LOCAL_ENDPOINTS } from "../src/local/endpoints.ts";
import { readPidFile } from "../src/local/pid-files.ts";
import { isPortInUse } from "../src/local/ports.ts";
import { postgres } from "../src/local/services/postgres.ts";
import { loadSettings } from "../src/local/settings.ts";
import { status } from "../src/local/status.ts";
import { up } from "../src/local/up.ts";

// The PostgreSQL `reeltime infra up` starts (docs/local-services.md), through the `pg` client.
const PG = LOCAL_ENDPOINTS.postgres;
let client: pg.Client;

beforeAll(async () => {
  client = new pg.Client({ connectionString: PG.url, connectionTimeoutMillis: 5000 });
  client.on("error", () => undefined); // the restart test ends its session
  await client.connect();
});
afterAll(async () => {
  await client?.end();
});

describe("local PostgreSQL (Debian postgresql, started by `reeltime infra up`)", () => {
  it("takes the URL of LOCAL_ENDPOINTS: role reeltime, database reeltime, and runs queries", async () => {
    const who = await client.query<{ user: string; db: string; version: string }>(
      "SELECT current_user AS user, current_database() AS db, current_setting('server_version') AS version",
    );
    expect(who.rows[0]).toMatchObject({ user: "reeltime", db: "reeltime" });
    expect(who.rows[0]!.version).toMatch(/^\d+\.\d+/);

    await client.query("CREATE TEMP TABLE reeltime_infra_check (id int PRIMARY KEY, title text NOT NULL)");
    await client.query("INSERT INTO reeltime_infra_check VALUES ($1, $2), ($3, $4)", [1, "first", 2, "second"]);
    const rows = await client.query<{ id: number; title: string }>(
      "SELECT id, title FROM reeltime_infra_check ORDER BY id",
    );
    expect(rows.rows).toEqual([
      { id: 1, title: "first" },
      { id: 2, title: "second" },
    ]);
  });

  it("listens on 127.0.0.1 only: TCP on loopback, no other address, no Unix socket", async () => {
    const settings = await client.query<{ name: string; setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE name IN ('listen_addresses', 'port', 'unix_socket_directories') ORDER BY name",
    );
    expect(Object.fromEntries(settings.rows.map((r) => [r.name, r.setting]))).toEqual({
      listen_addresses: "127.0.0.1",
      port: String(PG.port),
      unix_socket_directories: "",
    });
    const listeners = execFileSync("ss", ["-Hltn", `sport = :${PG.port}`], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map((line) => line.trim().split(/\s+/)[3]);
    expect(listeners).toEqual([`127.0.0.1:${PG.port}`]);
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && a.family === "IPv4")
      .map((a) => a!.address);
    for (const address of external) expect(await isPortInUse(PG.port, address)).toBe(false);
  });

  it("refuses a wrong password", async () => {
    const url = new URL(PG.url);
    url.password = "not-the-password";
    const wrong = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
    await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);
    await wrong.end().catch(() => undefined);
  });

  it("is the process `up` started, not running as root, healthy in `reeltime infra status`", async () => {
    const record = readPidFile(loadSettings().stateDir, "postgres");
    expect(record?.ports).toEqual([PG.port]);
    const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${record!.pid}/status`, "utf8"))?.[1]);
    expect(uid).not.toBe(0);

    const health = await postgres.probe({} as never);
    expect(health.healthy).toBe(true);
    expect(health.version).toMatch(/^\d+\.\d+$/);
    const row = (await status()).find((s) => s.name === "postgres");
    expect(row).toMatchObject({ healthy: true, running: true, port: PG.port, pid: record!.pid });
  });

  it("stops at once with clients connected (fast shutdown), and starts again on the same data", async () => {
    // A pooled client of the platform, holding its session: a smart shutdown would wait for it.
    const held = new pg.Client({ connectionString: PG.url, connectionTimeoutMillis: 5000 });
    held.on("error", () => undefined);
    await held.connect();
    await held.query("CREATE TABLE IF NOT EXISTS infra_restart_probe (n int)");
    await held.query("INSERT INTO infra_restart_probe VALUES (7)");
    const [stopped] = await down({ only: ["postgres"], print: () => undefined });
    expect(stopped).toMatchObject({ name: "postgres", result: "stopped" });
    await expect(held.query("SELECT 1")).rejects.toThrow();
    await up({ only: ["postgres"], print: () => undefined });
    const again = new pg.Client({ connectionString: PG.url, connectionTimeoutMillis: 5000 });
    await again.connect();
    const rows = (await again.query("SELECT n FROM infra_restart_probe")).rows;
    await again.query("DROP TABLE infra_restart_probe");
    await again.end();
    expect(rows).toContainEqual({ n: 7 });
  });
});
