import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { exampleEvent, familyColumns } from "@reeltime/events";
import { describe, expect, it } from "vitest";
import { ParquetWriter } from "../src/archiver/parquet.ts";

describe("ParquetWriter", () => {
  it("writes events with the contract's columns and types, readable back", async () => {
    const w = new ParquetWriter();
    const e1 = {
      ...exampleEvent("playback.rebuffer_end"),
      received_at: "2026-11-22T10:00:01.234Z",
      attributes: { plan: "pro" },
    };
    const e2 = exampleEvent("playback.heartbeat");
    const bytes = await w.write(familyColumns("playback"), [e1, e2]);
    await w.close();
    const dir = await mkdtemp(join(tmpdir(), "pq-"));
    try {
      const file = join(dir, "x.parquet");
      await writeFile(file, bytes);
      const db = await DuckDBInstance.create(":memory:");
      const conn = await db.connect();
      await conn.run("SET TimeZone = 'UTC'");
      const reader = await conn.runAndReadAll(
        `SELECT event_id, duration_ms, video_id, attributes, strftime(received_at, '%Y-%m-%dT%H:%M:%S.%g') AS r, stats_playing_ms FROM read_parquet('${file}') ORDER BY seq`,
      );
      const rows = reader.getRowObjectsJS();
      expect(rows).toHaveLength(2);
      const byId = Object.fromEntries(rows.map((r) => [r.event_id, r]));
      expect(byId[e1.event_id]).toMatchObject({
        duration_ms: 420n,
        video_id: e1.video.id,
        attributes: '{"plan":"pro"}',
        r: "2026-11-22T10:00:01.234",
      });
      expect(byId[e2.event_id]).toMatchObject({ stats_playing_ms: 11650n, duration_ms: null });
      const types = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).getRowObjectsJS();
      expect(types.find((t) => t.column_name === "client_ts")?.column_type).toBe("TIMESTAMP");
      expect(types).toHaveLength(familyColumns("playback").length);
      conn.closeSync();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
