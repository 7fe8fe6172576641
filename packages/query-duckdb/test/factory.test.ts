import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createArchive, createQueryEngine } from "@reeltime/connectors";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { parquetOf } from "@reeltime/testkit";
import { describe, expect, it } from "vitest";

describe("factory: archive and query drivers", () => {
  it("REELTIME_ARCHIVE=fs and REELTIME_QUERY=duckdb query what was archived, end to end", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reeltime-factory-"));
    try {
      const env = loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir, REELTIME_ARCHIVE: "fs", REELTIME_QUERY: "duckdb" });
      const archive = await createArchive(env);
      expect(archive.driver).toBe("fs");
      await archive.put(
        "events/event_type=job/dt=2024-06-01/hour=12/0-0-0.parquet",
        await parquetOf("SELECT 'job.created' AS event_type, 'j1' AS job_id"),
      );
      const engine = await createQueryEngine(archive, env);
      expect(engine.driver).toBe("duckdb");
      const res = await engine.run("SELECT job_id, dt, hour FROM job_events WHERE event_type = ?", ["job.created"]);
      expect(res.rows).toEqual([{ job_id: "j1", dt: "2024-06-01", hour: "12" }]);
      await engine.shutdown();
      await archive.shutdown();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
