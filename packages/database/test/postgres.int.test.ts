import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { migrate } from "../src/migrate.ts";
import { openDatabase } from "../src/open.ts";
import { databaseSuite } from "./suite.ts";

// The unit suite against the PostgreSQL server `reeltime infra up` starts (REELTIME_PG_URL;
// the default is the local one, infra/src/local/endpoints.ts).
const PG_URL = process.env.REELTIME_PG_URL ?? "postgres://reeltime:reeltime-local-secret@127.0.0.1:5433/reeltime";

databaseSuite("postgres", () => openDatabase({ REELTIME_PG_URL: PG_URL }));

describe("migrate on a server", () => {
  it("serialises separate pools on the advisory lock: each migration is applied once", async () => {
    const tag = `lock_${Date.now().toString(36)}`;
    const pools = await Promise.all([1, 2, 3].map(() => openDatabase({ REELTIME_PG_URL: PG_URL })));
    const list = [{ version: 1, name: "slow", sql: `SELECT pg_sleep(0.2); CREATE TABLE ${tag} (id integer)` }];
    const results = await Promise.all(pools.map((db) => migrate(db, tag, list)));
    expect(results.flatMap((r) => r.applied)).toEqual([1]);
    const [first] = pools;
    await first?.query(`DROP TABLE ${tag}`);
    await first?.query("DELETE FROM reeltime_migrations WHERE owner = $1", [tag]);
    await Promise.all(pools.map((db) => db.close()));
  });
});

describe("a server that ends a connection in a transaction", () => {
  it("fails that transaction as unavailable and the process lives on; the pool opens a new connection", async () => {
    // In a process of its own: the bug this guards against killed the process (an 'error' event
    // on a checked-out client with no listener), which would take the test runner with it.
    const script = fileURLToPath(new URL("./fixtures/terminated-transaction.ts", import.meta.url));
    const run = await promisify(execFile)(process.execPath, [script], {
      env: { ...process.env, REELTIME_PG_URL: PG_URL },
      timeout: 60_000,
    }).catch((e: { code?: unknown; stdout?: string; stderr?: string }) => {
      throw new Error(`the process died (exit ${String(e.code)}):\n${e.stderr ?? ""}${e.stdout ?? ""}`);
    });
    const out = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}") as {
      failed?: { code?: string; message: string };
      after?: number;
    };
    expect(out.failed?.code, out.failed?.message).toBe("REELTIME_ERR_DATABASE_UNAVAILABLE");
    expect(out.failed?.message).toMatch(/terminating connection|Connection terminated/);
    expect(out.after).toBe(1);
  });
});
