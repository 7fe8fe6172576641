import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReeltimeError } from "@reeltime/runtime";
import { afterAll, describe, expect, it } from "vitest";
import { migrate } from "../src/migrate.ts";
import { MEMORY_URL, openDatabase } from "../src/open.ts";
import { classify } from "../src/unavailable.ts";
import { databaseSuite } from "./suite.ts";

/** A loopback port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

databaseSuite("pglite", () => openDatabase({ REELTIME_PG_URL: MEMORY_URL }));

describe("openDatabase", () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it("keeps PGlite's files under REELTIME_DATA_DIR/pglite when no URL is set", async () => {
    const dir = await mkdtemp(join(tmpdir(), "reeltime-db-"));
    dirs.push(dir);
    const first = await openDatabase({ REELTIME_DATA_DIR: dir });
    expect(first.kind).toBe("pglite");
    await migrate(first, "kept", [{ version: 1, name: "t", sql: "CREATE TABLE kept (v text)" }]);
    await first.query("INSERT INTO kept (v) VALUES ($1)", ["still here"]);
    await first.close();
    const again = await openDatabase({ REELTIME_DATA_DIR: dir });
    expect((await again.query("SELECT v FROM kept", [])).rows).toEqual([{ v: "still here" }]);
    expect(await migrate(again, "kept", [{ version: 1, name: "t", sql: "CREATE TABLE kept (v text)" }])).toEqual({
      applied: [],
    });
    await again.close();
  });

  it("shares one PGlite per data directory in a process: users see each other's writes, the last close closes it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "reeltime-db-"));
    dirs.push(dir);
    const [a, b] = await Promise.all([
      openDatabase({ REELTIME_DATA_DIR: dir }),
      openDatabase({ REELTIME_DATA_DIR: `${dir}/.` }),
    ]);
    await a.query("CREATE TABLE shared_t (v text)");
    await b.query("INSERT INTO shared_t (v) VALUES ($1)", ["from b"]);
    await a.close();
    await a.close();
    expect((await b.query("SELECT v FROM shared_t", [])).rows).toEqual([{ v: "from b" }]);
    await b.close();
    await expect(b.query("SELECT 1", [])).rejects.toThrow();
    const again = await openDatabase({ REELTIME_DATA_DIR: dir });
    expect((await again.query("SELECT v FROM shared_t", [])).rowCount).toBe(1);
    await again.close();
  });

  it("refuses a REELTIME_PG_URL that is no postgres:// or memory:// URL, naming the variable", async () => {
    const err = await openDatabase({ REELTIME_PG_URL: "mysql://x" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "REELTIME_ERR_CONFIG" });
    expect((err as Error).message).toContain("REELTIME_PG_URL");
    expect((err as Error).message).not.toContain("mysql://x");
  });

  it("reports a PostgreSQL server that does not answer as unavailable and retryable", async () => {
    const port = await closedPort();
    const db = await openDatabase({ REELTIME_PG_URL: `postgres://reeltime:secret@127.0.0.1:${port}/reeltime` });
    expect(db.kind).toBe("postgres");
    for (const attempt of [() => db.query("SELECT 1", []), () => db.transaction((tx) => tx.query("SELECT 1", []))]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReeltimeError);
      expect(err).toMatchObject({ code: "REELTIME_ERR_DATABASE_UNAVAILABLE", status: 503, retryable: true });
    }
    await db.close();
  });
});

describe("classify", () => {
  it("turns outages into REELTIME_ERR_DATABASE_UNAVAILABLE and leaves SQL errors alone", () => {
    for (const outage of [
      Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }),
      Object.assign(new Error("the database system is starting up"), { code: "57P03" }),
      Object.assign(new Error("connection failure"), { code: "08006" }),
      new Error("Connection terminated unexpectedly"),
    ])
      expect(classify(outage)).toMatchObject({ code: "REELTIME_ERR_DATABASE_UNAVAILABLE", retryable: true });
    const sql = Object.assign(new Error("duplicate key"), { code: "23505" });
    expect(classify(sql)).toBe(sql);
  });
});
