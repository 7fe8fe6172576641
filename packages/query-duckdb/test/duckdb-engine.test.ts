import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createArchive } from "@reeltime/connectors";
import { ConnectionEnv, loadEnv, unavailable } from "@reeltime/runtime";
import { parquetOf, queryConformance, SLOW_SQL } from "@reeltime/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { createDuckDbEngine } from "../src/duckdb-engine.ts";

/** The fs archive (in @reeltime/connectors, through its factory) under `dir`. */
const fsArchive = (dir: string) =>
  createArchive(loadEnv(ConnectionEnv, { REELTIME_ARCHIVE: "fs", REELTIME_DATA_DIR: dir }));

const dataDir = mkdtempSync(join(tmpdir(), "reeltime-duckdb-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const env = { REELTIME_DATA_DIR: dataDir };
const archive = await fsArchive(dataDir);

queryConformance({
  adapter: "duckdb",
  archive,
  open: async () => createDuckDbEngine(env, archive),
  parquet: parquetOf,
  slowSql: SLOW_SQL,
});

describe("duckdb engine", () => {
  it("reads only its own cache: other local files are out of reach of SQL", async () => {
    const engine = createDuckDbEngine(env, archive);
    try {
      await expect(engine.run("SELECT * FROM read_csv('/etc/passwd')")).rejects.toMatchObject({
        code: "REELTIME_ERR_QUERY",
      });
      await expect(engine.run("SET enable_external_access = true")).rejects.toMatchObject({
        code: "REELTIME_ERR_QUERY",
      });
    } finally {
      await engine.shutdown();
    }
  });

  it("ignores objects outside the partition layout and forgets deleted ones", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reeltime-duckdb-layout-"));
    const local = await fsArchive(dir);
    const engine = createDuckDbEngine({ REELTIME_DATA_DIR: dir }, local);
    try {
      const rows = await parquetOf("SELECT 'v1' AS view_id, 'a1' AS app_id");
      await local.put("records/views/dt=2024-05-01/0-0-0.parquet", rows);
      await local.put("records/views/stray.parquet", rows);
      await engine.refresh();
      expect((await engine.run("SELECT view_id, dt FROM views")).rows).toEqual([{ view_id: "v1", dt: "2024-05-01" }]);
      await local.delete(["records/views/dt=2024-05-01/0-0-0.parquet"]);
      await engine.refresh();
      expect((await engine.run("SELECT count(*) AS n FROM views")).rows).toEqual([{ n: 0 }]);
    } finally {
      await engine.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an archive that is down gives a retryable error, and the engine recovers once it is back", async () => {
    let down = true;
    const flaky = {
      ...archive,
      list: async (prefix: string) => {
        if (down) throw unavailable("archive", "S3 list failed after retries: connect ECONNREFUSED");
        return archive.list(prefix);
      },
    };
    const engine = createDuckDbEngine(env, flaky);
    try {
      await expect(engine.run("SELECT 1 AS one")).rejects.toMatchObject({
        code: "REELTIME_ERR_ARCHIVE_UNAVAILABLE",
        retryable: true,
      });
      down = false;
      expect((await engine.run("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    } finally {
      await engine.shutdown();
    }
  });
});
