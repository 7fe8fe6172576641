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
