import { describe, expect, it } from "vitest";
import { athenaDdl } from "../src/derive/athena.ts";
import { DEFAULT_DT_RANGE, renderTrinoDdl, trinoDdl } from "../src/derive/trino.ts";

/** `name type` pairs of a CREATE TABLE's column lines (Athena: backticks, Trino: double quotes). */
function columns(ddl: string): [string, string][] {
  return [...ddl.matchAll(/^ {2}[`"]([a-z0-9_]+)[`"] ([a-z0-9()]+)/gm)].map((m) => [m[1]!, m[2]!]);
}

describe("Trino DDL", () => {
  it("has one table per Athena table, with the same columns in the same order, partitions last", () => {
    const athena = athenaDdl();
    const trino = trinoDdl();
    expect(Object.keys(trino)).toEqual(Object.keys(athena));
    const asTrino: Record<string, string> = { string: "varchar", timestamp: "timestamp(3)" };
    for (const [name, ddl] of Object.entries(athena)) {
      const want = columns(ddl).map(([c, t]) => [c, asTrino[t] ?? t]);
      const partitions = name.endsWith("_events") ? ["dt", "hour"] : ["dt"];
      expect(columns(trino[name]!), name).toEqual([...want, ...partitions.map((p) => [p, "varchar"])]);
    }
  });

  it("projects dt and hour like the Athena table, at the same location", () => {
    const ddl = trinoDdl().playback_events!;
    const sql = renderTrinoDdl(ddl, { schema: "reeltime", bucket: "my-archive" });
    expect(sql).toContain('CREATE TABLE IF NOT EXISTS "reeltime"."playback_events" (');
    expect(sql).toContain("external_location = 's3://my-archive/events/event_type=playback/'");
    expect(sql).toContain("partitioned_by = ARRAY['dt', 'hour']");
    expect(sql).toContain("partition_projection_enabled = true");
    const template = "s3://my-archive/events/event_type=playback/dt=$" + "{dt}/hour=$" + "{hour}/";
    expect(sql).toContain(`partition_projection_location_template = '${template}'`);
    expect(sql).toContain(
      `"dt" varchar WITH (partition_projection_type = 'DATE', partition_projection_format = 'yyyy-MM-dd', partition_projection_range = ARRAY['2024-01-01', 'NOW'], partition_projection_interval = 1, partition_projection_interval_unit = 'DAYS')`,
    );
    expect(sql).toContain(
      `"hour" varchar WITH (partition_projection_type = 'INTEGER', partition_projection_range = ARRAY['0', '23'], partition_projection_digits = 2)`,
    );
    expect(athenaDdl().playback_events).toContain("'projection.dt.range' = '2024-01-01,NOW'");
    expect(DEFAULT_DT_RANGE).toEqual(["2024-01-01", "NOW"]);
    const views = renderTrinoDdl(trinoDdl().views!, {
      schema: "s",
      bucket: "b-1",
      dtRange: ["2026-11-19", "2026-11-22"],
    });
    expect(views).toContain("partitioned_by = ARRAY['dt']");
    expect(views).toContain("ARRAY['2026-11-19', '2026-11-22']");
    expect(views).not.toContain('"hour"');
    expect(views).not.toContain("{{");
  });

  it("renders safely", () => {
    const ddl = trinoDdl().views!;
    expect(() => renderTrinoDdl(ddl, { schema: 'x"; DROP', bucket: "b-1" })).toThrow(/schema/);
    expect(() => renderTrinoDdl(ddl, { schema: "ok", bucket: "../etc" })).toThrow(/bucket/);
    expect(() => renderTrinoDdl(ddl, { schema: "ok", bucket: "b-1", dtRange: ["2024-01-01", "'; --"] })).toThrow(
      /projected day/,
    );
  });
});
