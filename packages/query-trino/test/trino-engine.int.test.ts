import { parquetOf, queryConformance, TRINO_SLOW_SQL } from "@reeltime/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { createTrinoEngine } from "../src/trino-engine.ts";
import { trinoScratch } from "./helpers/scratch.ts";

// The real Trino that `reeltime infra up` starts, over a bucket of this run on the local S3
// server, its tables made from the generated Trino DDL. The suite's files are dated 2024-05-01
// and 02: the projected range is those two days, so a query without a dt filter lists 48
// partitions, not the ~25,000 hours since 2024-01-01 (see docs/local-services.md).
const scratch = await trinoScratch(["2024-05-01", "2024-05-02"]);
afterAll(async () => {
  await scratch.drop();
});

queryConformance({
  adapter: "trino",
  archive: scratch.archive,
  open: async () => createTrinoEngine(scratch.env),
  parquet: parquetOf,
  slowSql: TRINO_SLOW_SQL,
});

describe("trino engine on the real server", () => {
  it("a cancelled query is gone from the coordinator, not left running", async () => {
    const engine = createTrinoEngine(scratch.env);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 500);
    await expect(engine.run(TRINO_SLOW_SQL, [], { signal: ac.signal })).rejects.toMatchObject({
      code: "REELTIME_ERR_QUERY_CANCELLED",
    });
    // The pattern is a bound parameter, so this query's own text does not match it.
    const running = async () =>
      (
        await engine.run("SELECT query_id FROM system.runtime.queries WHERE state NOT IN (?, ?) AND query = ?", [
          "FINISHED",
          "FAILED",
          TRINO_SLOW_SQL,
        ])
      ).rows;
    const until = Date.now() + 10_000;
    while ((await running()).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    expect(await running()).toEqual([]);
    const [failed] = (
      await engine.run("SELECT error_code FROM system.runtime.queries WHERE query = ? ORDER BY created DESC LIMIT 1", [
        TRINO_SLOW_SQL,
      ])
    ).rows;
    expect(failed).toEqual({ error_code: "USER_CANCELED" });
  });

  it("reports the bytes it read from storage", async () => {
    const engine = createTrinoEngine(scratch.env);
    const res = await engine.run("SELECT count(*) AS n FROM playback_events WHERE dt = ?", ["2024-05-01"]);
    expect(res.rows[0]!.n).toBeGreaterThan(0);
    expect(res.bytesScanned).toBeGreaterThan(0);
  });
});
