import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  athenaDdl,
  columnValue,
  DEAD_LETTER_DATA_STREAM,
  DeadLetterRecord,
  EVENT_TYPES,
  exampleEvent,
  FAMILIES,
  familyColumns,
  familyOf,
  generate,
  indexTemplates,
  renderDdl,
  routeOf,
  TOPICS,
} from "../src/index.ts";

/** Column names the example's values land in: nested objects flattened, free-form maps and lists kept whole. */
function scalarPaths(value: unknown, prefix = ""): string[] {
  if (
    value === null ||
    typeof value !== "object" ||
    Array.isArray(value) ||
    ["attributes", "cmcd_custom", "cmcd_types"].includes(prefix)
  )
    return [prefix];
  return Object.entries(value).flatMap(([k, v]) => scalarPaths(v, prefix ? `${prefix}_${k}` : k));
}

describe("Parquet columns", () => {
  it.each(EVENT_TYPES)("%s: every field of the example has a column and reads back", (type) => {
    const event = exampleEvent(type);
    const cols = familyColumns(familyOf(type));
    const names = new Set(cols.map((c) => c.name));
    for (const path of scalarPaths(event)) expect(names, path).toContain(path);
    const videoId = cols.find((c) => c.name === "video_id");
    if ("video" in event && event.video) expect(columnValue(event, videoId!)).toBe(event.video.id);
    expect(columnValue(event, cols.find((c) => c.name === "event_id")!)).toBe(event.event_id);
  });

  it("stores free-form maps as JSON text and names are lowercase", () => {
    const cols = familyColumns("playback");
    const attrs = cols.find((c) => c.name === "attributes")!;
    expect(attrs).toMatchObject({ type: "string", json: true });
    expect(columnValue({ attributes: { plan: "pro" } }, attrs)).toBe('{"plan":"pro"}');
    for (const c of cols) expect(c.name).toMatch(/^[a-z0-9_]+$/);
    expect(cols.find((c) => c.name === "client_ts")?.type).toBe("timestamp");
    expect(cols.find((c) => c.name === "seq")?.type).toBe("bigint");
  });
});

describe("Elasticsearch templates", () => {
  const templates = indexTemplates();
  it("one data stream per family with strict mapping, flattened attributes and ILM", () => {
    for (const f of FAMILIES) {
      const t = templates[`reeltime-events-${f}`] as { template: { mappings: Record<string, never>; settings: never } };
      expect(t.template.mappings).toMatchObject({
        dynamic: "strict",
        properties: {
          "@timestamp": { type: "date" },
          attributes: { type: "flattened" },
          event_id: { type: "keyword" },
        },
      });
      expect(t.template.settings).toMatchObject({ "index.lifecycle.name": "reeltime-events", refresh_interval: "1s" });
    }
  });
  it("maps CMCD keys by type: inner lists as numeric fields, custom keys flattened", () => {
    const m = (templates["reeltime-events-playback"] as never as { template: { mappings: { properties: never } } })
      .template.mappings.properties as Record<string, { properties: Record<string, unknown> }>;
    expect(m.cmcd!.properties).toMatchObject({
      br: { type: "long" },
      mtp: { type: "long" },
      pr: { type: "double" },
      su: { type: "boolean" },
      sid: { type: "keyword" },
      ec: { type: "keyword" },
    });
    expect(m.cmcd_custom).toEqual({ type: "flattened" });
    const cols = familyColumns("playback");
    const br = cols.find((c) => c.name === "cmcd_br")!;
    expect(br).toMatchObject({ type: "string", json: true });
    expect(columnValue({ cmcd: { br: [3000, 128] } }, br)).toBe("[3000,128]");
    expect(cols.find((c) => c.name === "cmcd_ts")?.type).toBe("bigint");
    expect(cols.find((c) => c.name === "cmcd_pr")?.type).toBe("double");
  });
  it("maps searchable text as text with a keyword twin", () => {
    const m = (templates["reeltime-events-playback"] as never as { template: { mappings: { properties: never } } })
      .template.mappings.properties as Record<string, { properties: Record<string, unknown> }>;
    expect(m.video!.properties.title).toMatchObject({ type: "text", fields: { keyword: { type: "keyword" } } });
    expect(m.error!.properties.message).toMatchObject({ type: "text" });
    expect(m.page!.properties.url).toMatchObject({ type: "text" });
  });
  it("derives the dead-letter template from DeadLetterRecord: same name, pattern and the fields the indexer and dashboards query", () => {
    const t = templates[DEAD_LETTER_DATA_STREAM] as {
      index_patterns: string[];
      data_stream: object;
      template: { mappings: { dynamic: string; properties: Record<string, Record<string, unknown>> }; settings: never };
    };
    expect(DEAD_LETTER_DATA_STREAM).toBe("reeltime-dead-letter");
    expect(t.index_patterns).toEqual(["reeltime-dead-letter*"]);
    expect(t.data_stream).toEqual({});
    expect(t.template.settings).toMatchObject({ "index.lifecycle.name": "reeltime-events" });
    const p = t.template.mappings.properties;
    expect(t.template.mappings.dynamic).toBe("strict");
    for (const k of ["dead_letter_id", "stage", "reason", "topic", "app_id", "event_id", "event_type"])
      expect(p[k], k).toMatchObject({ type: "keyword" });
    expect(p.message).toMatchObject({ type: "text" });
    expect(p["@timestamp"]).toEqual({ type: "date" });
    expect(p.replayed_at).toEqual({ type: "date" });
    // Kept verbatim, never indexed: a hostile payload adds no field and no term.
    expect(p.payload).toEqual({ type: "object", enabled: false });
    expect(p.request).toEqual({ type: "object", enabled: false });
    // received_at is stored as @timestamp; every other field of the record has a mapping, and nothing else does.
    expect(Object.keys(p).sort()).toEqual(
      [...Object.keys(DeadLetterRecord.properties).filter((k) => k !== "received_at"), "@timestamp"].sort(),
    );
  });
});

describe("Athena DDL", () => {
  it("projects dt and hour partitions and renders safely", () => {
    const ddl = athenaDdl().playback_events!;
    expect(ddl).toContain("'projection.enabled' = 'true'");
    const template = "s3://{{bucket}}/events/event_type=playback/dt=$" + "{dt}/hour=$" + "{hour}/";
    expect(ddl).toContain(`'storage.location.template' = '${template}'`);
    expect(ddl).toContain("PARTITIONED BY (`dt` string, `hour` string)");
    const sql = renderDdl(ddl, { database: "reeltime", bucket: "my-archive" });
    expect(sql).toContain("`reeltime`.`playback_events`");
    expect(() => renderDdl(ddl, { database: "x; DROP", bucket: "b-1" })).toThrow(/database/);
    expect(() => renderDdl(ddl, { database: "ok", bucket: "../etc" })).toThrow(/bucket/);
  });
});

describe("routing", () => {
  it("keys playback by view, jobs by job id, api by app", () => {
    const p = exampleEvent("playback.play");
    expect(routeOf(p)).toEqual({ topic: TOPICS.playback, key: p.view_id });
    const j = exampleEvent("job.completed");
    expect(routeOf(j)).toEqual({ topic: TOPICS.job, key: j.job.id });
    expect(routeOf(exampleEvent("api.request")).topic).toBe(TOPICS.api);
  });
});

describe("generate --check", () => {
  it("the committed artefacts are current", async () => {
    const r = await generate({ check: true });
    expect([...r.missing, ...r.stale, ...r.extra]).toEqual([]);
  });

  it("detects a hand edit, a missing file and an extra file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "reeltime-gen-"));
    try {
      await generate({ dir });
      const ddl = join(dir, "athena/views.sql");
      await writeFile(ddl, `${await readFile(ddl, "utf8")}-- edited by hand\n`);
      await rm(join(dir, "parquet/columns.json"));
      await writeFile(join(dir, "athena/old.sql"), "");
      const r = await generate({ dir, check: true });
      expect(r).toMatchObject({
        stale: ["athena/views.sql"],
        missing: ["parquet/columns.json"],
        extra: ["athena/old.sql"],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
