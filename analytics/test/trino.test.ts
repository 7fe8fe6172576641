import type { QueryEngine, QueryResult } from "@reeltime/connectors";
import { trinoStatements } from "@reeltime/events";
import { describe, expect, it } from "vitest";
import { trinoDdlStatements } from "../src/ddl.ts";
import { checkCost } from "../src/guard.ts";
import { applyDdl, TABLES } from "../src/session.ts";

/** An engine that records the SQL it is given and answers nothing. */
function recording(driver: string) {
  const sent: string[] = [];
  const empty: QueryResult = { columns: [], rows: [], executionMs: 0 };
  const engine: QueryEngine = {
    driver,
    start: async () => undefined,
    shutdown: async () => undefined,
    health: async () => ({ ok: true, driver }),
    refresh: async () => undefined,
    run: async (sql) => {
      sent.push(sql);
      return empty;
    },
  };
  return { engine, sent };
}

describe("Trino in analytics", () => {
  it("ddl --apply on Trino: the schema, then every table of the contract's Trino DDL, in order", async () => {
    const { engine, sent } = recording("trino");
    const steps: string[] = [];
    await applyDdl(engine, { database: "reeltime_prod", bucket: "acme-video-archive" }, (what) => steps.push(what));
    expect(sent).toEqual(trinoStatements({ schema: "reeltime_prod", bucket: "acme-video-archive" }));
    expect(sent).toEqual(trinoDdlStatements({ database: "reeltime_prod", bucket: "acme-video-archive" }));
    expect(sent[0]).toBe('CREATE SCHEMA IF NOT EXISTS "reeltime_prod"');
    expect(sent[1]).toContain("external_location = 's3://acme-video-archive/events/event_type=playback/'");
    expect(steps).toEqual(["reeltime_prod", ...TABLES]);
  });

  it("the projected range passes through", async () => {
    const { engine, sent } = recording("trino");
    await applyDdl(engine, { database: "s", bucket: "b-1", dtRange: ["2026-11-19", "2026-11-22"] });
    expect(sent.slice(1).every((s) => s.includes("ARRAY['2026-11-19', '2026-11-22']"))).toBe(true);
  });

  it("the cost guard refuses a Trino query without a dt filter unless forced", () => {
    expect(() => checkCost("SELECT count(*) FROM views", "trino", false)).toThrow(
      expect.objectContaining({ code: "REELTIME_ERR_QUERY_COST", message: expect.stringContaining("Trino") }),
    );
    expect(() => checkCost("SELECT count(*) FROM views", "trino", true)).not.toThrow();
    expect(() => checkCost("SELECT count(*) FROM views WHERE dt = ?", "trino", false)).not.toThrow();
    expect(() => checkCost("SELECT count(*) FROM views", "duckdb", false)).not.toThrow();
  });
});
