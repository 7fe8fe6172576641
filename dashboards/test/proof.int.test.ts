// The proof that the dashboards are right without Grafana or Kibana: every panel query in the
// committed generated files runs against the real Elasticsearch and Prometheus that
// `reeltime infra up` started, seeded with known data, and must return the hand-computed
// figures of expected.ts / prom-fixture.ts. The Elasticsearch panels run on both majors users run
// (8 and 9, `elasticsearchMajors`), each seeded alike.
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { createSearchStore, type SearchStore } from "@reeltime/connectors";
import { elasticsearchMajors, endpointsFromEnv, writeScrapeTargets } from "@reeltime/infra";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { exportDashboards, GENERATED_DIR } from "../src/export.ts";
import type { SavedObject } from "../src/kibana/saved-objects.ts";
import { type Datasource, grafanaEsRequest } from "../src/query/grafana-es.ts";
import { kibanaEsRequest } from "../src/query/kibana-es.ts";
import { type EsRequest, type Row, rowsOf } from "../src/query/plan.ts";
import { DASHBOARDS, panelsOf } from "../src/spec/index.ts";
import { CHART_ALERT_RULES } from "./chart.ts";
import { type Expected, expectedDocs, expectedElasticsearch, expectedKibanaOverrides } from "./expected.ts";
import { PROM_EXPECTED, startMetricsFixture } from "./prom-fixture.ts";
import { runWindow, seedElasticsearch } from "./seed.ts";

const endpoints = endpointsFromEnv();
const PROM = endpoints.prometheus.url;
const w = runWindow();
const INTERVAL = "5m";

type Json = Record<string, unknown>;
interface GrafanaPanel {
  type: string;
  title: string;
  reeltime?: { key: string };
  targets?: (Json & { datasource: { type: string; uid: string }; expr?: string; legendFormat?: string })[];
}

const specPanels = new Map(DASHBOARDS.flatMap(panelsOf).map((p) => [p.key, p]));
const checked = { prom: new Set<string>() };

async function search(es: string, req: EsRequest): Promise<Json> {
  const url = `${es}/${encodeURIComponent(req.index)}/_search?ignore_unavailable=true&allow_no_indices=true`;
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(req.body),
  });
  const body = (await res.json()) as Json;
  if (!res.ok) throw new Error(`${req.index}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 600)}`);
  return body;
}

const round = (v: number | null) => (v === null ? null : Number(v.toPrecision(10)));
/** Rows as comparable text: empty time buckets dropped, values rounded, sorted by keys. */
function comparable(rows: (Row | Expected)[]): string[] {
  return rows
    .filter((r) => !("count" in r) || r.count > 0)
    .map((r) =>
      JSON.stringify([
        r.keys,
        Object.fromEntries(
          Object.entries(r.values)
            .map(([k, v]) => [k, round(v)])
            .sort(),
        ),
      ]),
    )
    .sort();
}

function docIds(response: Json, field: string): string[] {
  const hits = (response.hits as { hits: { _source: Json }[] }).hits;
  return hits.map((h) => String(field.split(".").reduce<unknown>((o, k) => (o as Json | undefined)?.[k], h._source)));
}

async function promQuery(
  expr: string,
  time: number,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const url = `${PROM}/api/v1/query?query=${encodeURIComponent(expr)}&time=${time / 1000}`;
  const body = (await (await fetch(url)).json()) as { status: string; error?: string; data: { result: never[] } };
  if (body.status !== "success") throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}

let fixture: Awaited<ReturnType<typeof startMetricsFixture>>;
let targetsFile: string;
const dashboards: { uid: string; panels: GrafanaPanel[] }[] = [];
const datasources = new Map<string, Datasource>();
let objects: SavedObject[] = [];

beforeAll(async () => {
  // The proof reads the committed files, so they must be exactly what the code generates.
  const report = await exportDashboards(GENERATED_DIR, true, { alertRules: CHART_ALERT_RULES });
  expect([...report.missing, ...report.stale, ...report.extra]).toEqual([]);
  for (const d of DASHBOARDS)
    dashboards.push(JSON.parse(await readFile(join(GENERATED_DIR, `grafana/dashboards/${d.uid}.json`), "utf8")));
  const yaml = parse(await readFile(join(GENERATED_DIR, "grafana/provisioning/datasources/reeltime.yaml"), "utf8"));
  for (const ds of yaml.datasources as { uid: string; type: string; jsonData: Datasource }[])
    if (ds.type === "elasticsearch")
      datasources.set(ds.uid, { index: ds.jsonData.index, timeField: ds.jsonData.timeField });
  const ndjson = await readFile(join(GENERATED_DIR, "kibana/reeltime.ndjson"), "utf8");
  objects = ndjson
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as SavedObject);

  fixture = await startMetricsFixture();
  targetsFile = writeScrapeTargets(`dashboards-proof-${w.run}`, [
    { address: fixture.address, labels: { service: "dashboards-proof" } },
  ]);
});

afterAll(async () => {
  await rm(targetsFile, { force: true });
  await fixture?.close();
});

for (const { major, url: ES } of elasticsearchMajors()) {
  // Seeded per major, so a server that is down fails its own panels only.
  describe(`dashboards on Elasticsearch ${major} (${ES})`, () => {
    const checked = { grafana: new Set<string>(), kibana: new Set<string>() };
    let store: SearchStore | undefined;
    beforeAll(async () => {
      store = await createSearchStore(
        loadEnv(ConnectionEnv, { REELTIME_SEARCH: "elasticsearch", REELTIME_ES_URL: ES }),
      );
      await seedElasticsearch(store, w);
    });
    afterAll(async () => {
      await store?.shutdown();
    });

    describe(`Grafana Elasticsearch panels on real Elasticsearch ${major}`, () => {
      it("every panel query returns the hand-computed figures", async () => {
        const expected = expectedElasticsearch(w);
        const docs = expectedDocs(w);
        for (const d of dashboards)
          for (const panel of d.panels) {
            for (const target of panel.targets ?? []) {
              if (target.datasource.type !== "elasticsearch") continue;
              const key = panel.reeltime!.key;
              const req = grafanaEsRequest(target as never, datasources, {
                from: w.from,
                to: w.to,
                interval: INTERVAL,
                vars: { app: [w.app] },
              });
              const response = await search(ES, req);
              if (docs[key]) expect(docIds(response, docs[key].field), key).toEqual(docs[key].ids);
              else expect(comparable(rowsOf(req, response)), key).toEqual(comparable(expected[key] ?? []));
              checked.grafana.add(key);
            }
          }
        const esKeys = [...specPanels.values()].filter((p) => p.kind !== "prom").map((p) => p.key);
        expect([...checked.grafana].sort()).toEqual(esKeys.sort());
        expect(Object.keys(expected).length + Object.keys(docs).length).toBe(esKeys.length);
      });

      it("the app variable's All value reads every app (the other app's view counts too)", async () => {
        const panel = dashboards[0]!.panels.find((p) => p.reeltime?.key === "qoe-failures")!;
        const req = grafanaEsRequest(panel.targets![0] as never, datasources, {
          from: w.from,
          to: w.to,
          interval: INTERVAL,
          vars: { app: "all" },
        });
        const rows = rowsOf(req, await search(ES, req)).filter((r) => r.count > 0);
        // 8 views, 3 failed (v3, v7 and the other app's v8)
        expect(comparable(rows)).toEqual(
          comparable([{ keys: [], values: { "avg(playback_failure)": 3 / 8, "sum(playback_failure)": 3 } }]),
        );
      });
    });

    describe(`Kibana saved objects on real Elasticsearch ${major}`, () => {
      it("every visualization and saved search returns the hand-computed figures", async () => {
        const expected = { ...expectedElasticsearch(w), ...expectedKibanaOverrides() };
        const docs = expectedDocs(w);
        const views = new Map(objects.filter((o) => o.type === "index-pattern").map((o) => [o.id, o]));
        for (const o of objects) {
          if ((o.type !== "visualization" && o.type !== "search") || o.id.includes("app-control")) continue;
          const key = o.id.replace(/^reeltime-(vis|search)-/, "");
          const spec = specPanels.get(key)!;
          const appScoped = spec.kind !== "prom" && spec.appScoped;
          const req = kibanaEsRequest(o, views, {
            from: w.from,
            to: w.to,
            interval: INTERVAL,
            // What the dashboard's app control adds when the app is picked.
            filters: appScoped ? [{ match_phrase: { app_id: w.app } }] : [],
          });
          const response = await search(ES, req);
          if (docs[key]) expect(docIds(response, docs[key].field), key).toEqual(docs[key].ids);
          else expect(comparable(rowsOf(req, response)), key).toEqual(comparable(expected[key] ?? []));
          checked.kibana.add(key);
        }
        expect([...checked.kibana].sort()).toEqual([...checked.grafana].sort());
        // Every dashboard reference resolves to an object in the file.
        const ids = new Set(objects.map((o) => `${o.type}:${o.id}`));
        for (const o of objects)
          for (const ref of o.references) expect(ids.has(`${ref.type}:${ref.id}`), `${o.id} → ${ref.id}`).toBe(true);
      });
    });
  });
}

describe("Grafana Prometheus panels on real Prometheus", () => {
  const escaped = () => fixture.address.replace(/[.]/g, "\\\\.");

  it("every panel query returns the known rates, quantiles and gauges", { timeout: 150_000 }, async () => {
    // Wait until Prometheus has picked up the target and holds 40 s of samples.
    const probe = `count_over_time(reeltime_ingest_bus_errors_total{instance="${fixture.address}"}[40s])`;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const r = await promQuery(probe, Date.now());
      if (Number(r[0]?.value[1] ?? 0) >= 8) break;
      if (Date.now() > deadline) throw new Error(`Prometheus did not scrape ${fixture.address} in time (${PROM})`);
      await new Promise((res) => setTimeout(res, 2000));
    }
    const at = Date.now() - 1000;
    for (const d of dashboards)
      for (const panel of d.panels) {
        const targets = (panel.targets ?? []).filter((t) => t.datasource.type === "prometheus");
        if (targets.length === 0) continue;
        const key = panel.reeltime!.key;
        const got = [];
        for (const t of targets) {
          const expr = t.expr!.replaceAll("$instance", escaped()).replaceAll("$__rate_interval", "30s");
          const result = await promQuery(expr, at);
          got.push(
            Object.fromEntries(
              result.map((s) => [
                t.legendFormat!.replace(/\{\{(\w+)\}\}/g, (_, l: string) => s.metric[l] ?? ""),
                round(Number(s.value[1])),
              ]),
            ),
          );
        }
        const want = (PROM_EXPECTED[key] ?? []).map((m) =>
          Object.fromEntries(Object.entries(m).map(([k, v]) => [k, round(v)])),
        );
        expect(got, key).toEqual(want);
        checked.prom.add(key);
      }
    const promKeys = [...specPanels.values()].filter((p) => p.kind === "prom").map((p) => p.key);
    expect([...checked.prom].sort()).toEqual(promKeys.sort());
  });

  it("the instance variable's query lists the seeded target", async () => {
    const res = await fetch(`${PROM}/api/v1/label/instance/values?match[]=up`);
    const body = (await res.json()) as { data: string[] };
    expect(body.data).toContain(fixture.address);
  });
});
