import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { exportDashboards, GENERATED_DIR, renderAll } from "../src/export.ts";
import { kibanaSavedObjects } from "../src/kibana/saved-objects.ts";
import { sourceFields } from "../src/spec/fields.ts";
import { DASHBOARDS, panelsOf } from "../src/spec/index.ts";
import { SOURCES } from "../src/spec/sources.ts";
import type { Bucket, Metric, Panel } from "../src/spec/types.ts";
import { CHART_ALERT_RULES } from "./chart.ts";

const panels = DASHBOARDS.flatMap(panelsOf);

describe("generated dashboards", () => {
  it("the committed files in dashboards/generated are exactly what the code generates", async () => {
    const r = await exportDashboards(GENERATED_DIR, true, { alertRules: CHART_ALERT_RULES });
    expect({ missing: r.missing, stale: r.stale, extra: r.extra }).toEqual({ missing: [], stale: [], extra: [] });
  });

  it("rendering is deterministic", () => {
    expect([...renderAll()]).toEqual([...renderAll()]);
  });

  it("panel keys and Kibana ids are unique and stable", () => {
    const keys = panels.map((p) => p.key);
    expect(new Set(keys).size).toBe(keys.length);
    const ids = kibanaSavedObjects().map((o) => `${o.type}:${o.id}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain("visualization:reeltime-vis-qoe-startup");
    expect(ids).toContain("search:reeltime-search-qoe-fatal-errors");
    expect(ids).toContain("dashboard:reeltime-qoe");
  });
});

/** Fields a panel reads, with what Elasticsearch can do on them. */
function fieldsOf(p: Panel): { field: string; use: "metric" | "bucket" | "column" }[] {
  if (p.kind === "prom") return [];
  if (p.kind === "docs") return p.columns.map((field) => ({ field, use: "column" as const }));
  return [
    ...p.metrics.flatMap((m: Metric) => (m.type === "count" ? [] : [{ field: m.field, use: "metric" as const }])),
    ...p.buckets.flatMap((b: Bucket) => (b.type === "terms" ? [{ field: b.field, use: "bucket" as const }] : [])),
  ];
}

describe("every field a panel reads exists in the generated index templates", () => {
  for (const p of panels)
    if (p.kind !== "prom")
      it(`${p.key} (${SOURCES[p.source].index})`, () => {
        const fields = sourceFields(p.source);
        expect(fields.has(SOURCES[p.source].timeField)).toBe(true);
        for (const { field, use } of fieldsOf(p)) {
          const type = fields.get(field);
          expect(type, `${field} is not mapped in ${SOURCES[p.source].index}`).toBeDefined();
          if (use === "metric") expect(["long", "double", "boolean", "keyword"], field).toContain(type);
          if (use === "bucket") expect(["keyword", "long", "boolean"], field).toContain(type);
        }
      });
});

describe("Grafana", () => {
  const files = renderAll();
  const provisioned = parse(files.get("grafana/provisioning/datasources/reeltime.yaml")!) as {
    datasources: { uid: string; type: string }[];
  };
  const uids = new Set(provisioned.datasources.map((d) => d.uid));

  it("every panel references a provisioned datasource", () => {
    for (const d of DASHBOARDS) {
      const json = JSON.parse(files.get(`grafana/dashboards/${d.uid}.json`)!) as {
        panels: { type: string; datasource?: { uid: string }; targets?: { datasource: { uid: string } }[] }[];
      };
      for (const panel of json.panels.filter((x) => x.type !== "row")) {
        expect(uids.has(panel.datasource!.uid)).toBe(true);
        for (const t of panel.targets ?? []) expect(uids.has(t.datasource.uid)).toBe(true);
      }
    }
  });

  it("the dashboard provider points at one folder", () => {
    const doc = parse(files.get("grafana/provisioning/dashboards/reeltime.yaml")!) as {
      providers: { type: string; options: { path: string } }[];
    };
    expect(doc.providers[0]!.type).toBe("file");
    expect(doc.providers[0]!.options.path).toMatch(/^\//);
  });

  it("panels do not overlap", () => {
    for (const d of DASHBOARDS) {
      const json = JSON.parse(files.get(`grafana/dashboards/${d.uid}.json`)!) as {
        panels: { gridPos: { x: number; y: number; w: number; h: number } }[];
      };
      const cells = new Set<string>();
      for (const { gridPos: g } of json.panels)
        for (let x = g.x; x < g.x + g.w; x++)
          for (let y = g.y; y < g.y + g.h; y++) {
            expect(cells.has(`${x},${y}`), `${d.uid} overlap at ${x},${y}`).toBe(false);
            cells.add(`${x},${y}`);
          }
    }
  });
});

describe("Kibana", () => {
  const objects = kibanaSavedObjects();
  it("the NDJSON holds one object per line, data views first and dashboards last", () => {
    const lines = renderAll().get("kibana/reeltime.ndjson")!.trim().split("\n");
    expect(lines.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(objects.map((o) => o.id));
    expect(objects[0]!.type).toBe("index-pattern");
    expect(objects.at(-1)!.type).toBe("dashboard");
  });

  it("every reference resolves inside the file, and dashboards list their panels by reference", () => {
    const ids = new Set(objects.map((o) => `${o.type}:${o.id}`));
    for (const o of objects) for (const ref of o.references) expect(ids.has(`${ref.type}:${ref.id}`)).toBe(true);
    for (const d of objects.filter((o) => o.type === "dashboard")) {
      const panelsJson = JSON.parse(String(d.attributes.panelsJSON)) as { panelRefName: string }[];
      expect(panelsJson.map((p) => p.panelRefName)).toEqual(d.references.map((r) => r.name));
    }
  });

  it("saved searches: last 100 fatal errors and last 100 API calls, newest first", () => {
    const fatal = objects.find((o) => o.id === "reeltime-search-qoe-fatal-errors")!;
    expect(fatal.attributes.sampleSize).toBe(100);
    expect(fatal.attributes.sort).toEqual([["@timestamp", "desc"]]);
    expect(
      JSON.parse((fatal.attributes.kibanaSavedObjectMeta as { searchSourceJSON: string }).searchSourceJSON),
    ).toEqual({
      query: { query: 'event_type:"playback.error" AND error.severity:fatal', language: "lucene" },
      filter: [],
      indexRefName: "kibanaSavedObjectMeta.searchSourceJSON.index",
    });
    expect(objects.find((o) => o.id === "reeltime-search-api-last-calls")!.attributes.sampleSize).toBe(100);
  });
});

describe("sampled views are weighted", () => {
  it("no panel over view records counts documents: views are sum(weight), 1 where a record has none", () => {
    const viewPanels = panels.filter(
      (p): p is Extract<Panel, { kind: "es" }> => p.kind === "es" && p.source === "views",
    );
    expect(viewPanels.length).toBeGreaterThan(10);
    for (const p of viewPanels) {
      expect(
        p.metrics.some((m) => m.type === "count"),
        `${p.key} counts documents`,
      ).toBe(false);
      if (p.buckets.some((b) => b.type === "terms") || p.key === "qoe-views-over-time")
        expect(p.metrics, p.key).toContainEqual({ type: "sum", field: "weight", missing: 1 });
    }
  });
});
