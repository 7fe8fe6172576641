import type { Archive, QueryEngine } from "@reeltime/connectors";
import {
  archivePrefix,
  FAMILIES,
  familyColumns,
  RECORDS,
  type RecordName,
  recordColumns,
  tableName,
} from "@reeltime/events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** What an adapter's test file hands to {@link queryConformance}. */
export interface QueryHarness {
  /** Shown in the grid: `query conformance: <adapter>`. */
  adapter: string;
  /** The archive the engine reads; the suite writes its Parquet fixtures there (start empty). */
  archive: Archive;
  /** A new engine over `archive`. */
  open(): Promise<QueryEngine>;
  /** Parquet bytes holding the rows of a DuckDB SELECT (fixtures are built with DuckDB's COPY). */
  parquet(selectSql: string): Promise<Uint8Array>;
  /** A query that runs for many seconds unless cancelled. */
  slowSql: string;
}

const TRICKY = `It's a "video"; DROP TABLE playback_events; --`;

const tables = () => [
  ...FAMILIES.map((f) => ({
    name: tableName.family(f),
    columns: [...familyColumns(f).map((c) => c.name), "dt", "hour"],
  })),
  ...(Object.keys(RECORDS) as RecordName[]).map((r) => ({
    name: tableName.record(r),
    columns: [...recordColumns(r).map((c) => c.name), "dt"],
  })),
];

const playbackFile = (dt: string, hour: string, name: string) =>
  `${archivePrefix.family("playback")}dt=${dt}/hour=${hour}/${name}`;

async function rejection(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error("expected the query to fail, it succeeded");
}

/** The QueryEngine port's promises, run unchanged against every adapter. */
export function queryConformance(h: QueryHarness): void {
  describe(`query conformance: ${h.adapter}`, () => {
    let engine: QueryEngine;

    beforeAll(async () => {
      engine = await h.open();
      await engine.start();
    });
    afterAll(async () => {
      await engine?.shutdown();
    });

    it("every table of the contract exists, with its columns, before any file is archived", async () => {
      for (const t of tables()) {
        const res = await engine.run(`SELECT * FROM ${t.name} LIMIT 1`);
        expect(res.rows, t.name).toEqual([]);
        expect(res.columns.map((c) => c.name).sort(), t.name).toEqual([...t.columns].sort());
        const n = await engine.run(`SELECT count(*) AS n FROM ${t.name}`);
        expect(n.rows, t.name).toEqual([{ n: 0 }]);
      }
    });

    it("binds parameters of every type, a string with quotes included", async () => {
      const at = new Date(Date.UTC(2024, 4, 1, 7, 30, 15, 250));
      const res = await engine.run("SELECT ? AS s, ? AS i, ? AS f, ? AS b, ? AS t, ? AS z", [
        TRICKY,
        42,
        2.5,
        true,
        at,
        null,
      ]);
      expect(res.rows).toEqual([{ s: TRICKY, i: 42, f: 2.5, b: true, t: at, z: null }]);
    });

    it("reads archived Parquet after refresh(), typed, with partitions, filtered by bound values", async () => {
      await h.archive.put(
        playbackFile("2024-05-01", "07", "0-0-2.parquet"),
        await h.parquet(
          `SELECT * FROM (VALUES
            ('e1', 'playback.play', TIMESTAMP '2024-05-01 07:00:01.5', 1::BIGINT, 'It''s a "video"; DROP TABLE playback_events; --', true, 0.5::DOUBLE),
            ('e2', 'playback.playing', TIMESTAMP '2024-05-01 07:00:03', 2::BIGINT, 'plain title', false, 1.0::DOUBLE),
            ('e3', 'playback.pause', TIMESTAMP '2024-05-01 07:10:00', 3::BIGINT, 'It''s a "video"; DROP TABLE playback_events; --', NULL, 1.0::DOUBLE)
          ) AS t(event_id, event_type, received_at, seq, video_title, player_muted, sample_rate)`,
        ),
      );
      await engine.refresh();
      const res = await engine.run(
        "SELECT event_id, event_type, received_at, seq, player_muted, sample_rate, dt, hour, view_id FROM playback_events WHERE video_title = ? AND dt = ? ORDER BY seq",
        [TRICKY, "2024-05-01"],
      );
      expect(res.rows).toEqual([
        {
          event_id: "e1",
          event_type: "playback.play",
          received_at: new Date("2024-05-01T07:00:01.500Z"),
          seq: 1,
          player_muted: true,
          sample_rate: 0.5,
          dt: "2024-05-01",
          hour: "07",
          view_id: null,
        },
        {
          event_id: "e3",
          event_type: "playback.pause",
          received_at: new Date("2024-05-01T07:10:00.000Z"),
          seq: 3,
          player_muted: null,
          sample_rate: 1,
          dt: "2024-05-01",
          hour: "07",
          view_id: null,
        },
      ]);
      const types = Object.fromEntries(res.columns.map((c) => [c.name, c.type]));
      expect(types).toMatchObject({ event_id: "varchar", seq: "bigint", received_at: "timestamp", dt: "varchar" });
      expect(typeof res.executionMs).toBe("number");
    });

    it("a value that would break naive splicing matches nothing instead of everything", async () => {
      const res = await engine.run("SELECT count(*) AS n FROM playback_events WHERE event_id = ?", ["x' OR '1'='1"]);
      expect(res.rows).toEqual([{ n: 0 }]);
      const q = await engine.run("SELECT count(*) AS n FROM playback_events WHERE event_id = ? OR event_id = ?", [
        "e1",
        "e2' --",
      ]);
      expect(q.rows).toEqual([{ n: 1 }]);
    });

    it("sees a newly archived file after refresh(), in its own partition", async () => {
      const before = await engine.run("SELECT count(*) AS n FROM playback_events");
      await h.archive.put(
        playbackFile("2024-05-02", "23", "1-0-0.parquet"),
        await h.parquet(
          "SELECT 'e9' AS event_id, 'playback.view_end' AS event_type, TIMESTAMP '2024-05-02 23:59:59' AS received_at",
        ),
      );
      await engine.refresh();
      const after = await engine.run("SELECT count(*) AS n FROM playback_events");
      expect(after.rows[0]!.n).toBe((before.rows[0]!.n as number) + 1);
      const res = await engine.run("SELECT event_id, dt, hour FROM playback_events WHERE dt = ? AND hour = ?", [
        "2024-05-02",
        "23",
      ]);
      expect(res.rows).toEqual([{ event_id: "e9", dt: "2024-05-02", hour: "23" }]);
    });

    it("bad SQL gives a clear REELTIME_ERR_QUERY with the engine's reason", async () => {
      const syntax = await rejection(engine.run("SELEC 1"));
      expect(syntax.code).toBe("REELTIME_ERR_QUERY");
      expect(syntax.message).toMatch(/query failed: .*(syntax|SELEC)/i);
      const table = await rejection(engine.run("SELECT * FROM no_such_table"));
      expect(table.code).toBe("REELTIME_ERR_QUERY");
      expect(table.message).toMatch(/no_such_table/);
      const count = await rejection(engine.run("SELECT ? AS a", [1, 2]));
      expect(count.code).toBe("REELTIME_ERR_QUERY");
      expect(count.message).toMatch(/placeholder|parameter/i);
    });

    it("cancels a running query when the signal fires", async () => {
      const ac = new AbortController();
      const t0 = Date.now();
      setTimeout(() => ac.abort(), 300);
      const err = await rejection(engine.run(h.slowSql, [], { signal: ac.signal }));
      expect(err.code).toBe("REELTIME_ERR_QUERY_CANCELLED");
      expect(Date.now() - t0).toBeLessThan(10_000);
      const aborted = await rejection(engine.run("SELECT 1 AS one", [], { signal: AbortSignal.abort() }));
      expect(aborted.code).toBe("REELTIME_ERR_QUERY_CANCELLED");
      expect((await engine.run("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    });
  });
}
