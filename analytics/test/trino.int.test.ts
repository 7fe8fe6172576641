import type { AthenaClient } from "@aws-sdk/client-athena";
import { createQueryEngine, type QueryEngine } from "@reeltime/connectors";
import { createAthenaEngine } from "@reeltime/query-athena";
import { createTrinoEngine, executeWithLiterals, trinoStatement } from "@reeltime/query-trino";
import { trinoScratch } from "@reeltime/query-trino/testing";
import { athenaBackendOnTrino, athenaService } from "@reeltime/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { visibleArchive } from "../src/compact/visible.ts";
import { bindParams, loadNamedQueries, type NamedQuery } from "../src/queries/catalog.ts";
import { runQuery } from "../src/run.ts";
import { cdnRequest, knownApiCalls, knownJobs, knownViews, R480, R720, view } from "./fixtures.ts";
import { archiveWithProcessors, type Harness } from "./harness.ts";

// Every named query on DuckDB and on Trino (the Trino adapter, and the Athena adapter answered by
// Trino with Athena's parameter binding) over the same Parquet: written by the real archivers to
// a bucket of this run on the local S3 server, read by DuckDB through the S3 archive and by the
// real Trino (`reeltime infra up`) through tables made from the contract's Trino DDL.
//
// The data: the seven views, two jobs (one completion published twice) and four API calls of
// the unit tests on 2026-11-20 and 21, plus a view on 2026-11-22, a late view (played at 23:50 on
// the 20th, its events received on the 22nd: archived under dt=2026-11-20/hour=23 by device time),
// a playback event published twice, and a views file archived twice (as a replay would).

const late = view("v8", "vid-b", "Firefox", [
  { at: "2026-11-20T23:50:00.000Z", type: "playback.view_start" },
  { at: "2026-11-20T23:50:02.000Z", type: "playback.startup_complete", rendition: R720, fields: { startup_ms: 2000 } },
  {
    at: "2026-11-20T23:50:02.000Z",
    type: "playback.rendition_switch",
    rendition: R720,
    fields: { direction: "initial" },
  },
  {
    at: "2026-11-20T23:51:02.000Z",
    type: "playback.view_end",
    rendition: R720,
    fields: { reason: "ended", stats: { playing_ms: 60_000, rebuffer_ms: 0, rebuffer_count: 0 } },
  },
]).map((e) => ({ ...e, received_at: "2026-11-22T08:00:00.040Z" }));
const third = view("v9", "vid-a", "Safari", [
  { at: "2026-11-22T14:00:00.000Z", type: "playback.view_start" },
  { at: "2026-11-22T14:00:01.500Z", type: "playback.startup_complete", rendition: R480, fields: { startup_ms: 1500 } },
  {
    at: "2026-11-22T14:00:01.500Z",
    type: "playback.rendition_switch",
    rendition: R480,
    fields: { direction: "initial" },
  },
  {
    at: "2026-11-22T14:00:41.500Z",
    type: "playback.view_end",
    rendition: R480,
    fields: { reason: "ended", stats: { playing_ms: 40_000, rebuffer_ms: 0, rebuffer_count: 0 } },
  },
]);
const views = knownViews();
// CDN requests naming three of the views (qoe_by_pop), one from another app.
const requests = [
  cdnRequest("v1", "AMS1", "Hit", 10),
  cdnRequest("v1", "AMS1", "Miss", 300),
  cdnRequest("v2", "AMS1", "RefreshHit", 20),
  cdnRequest("v2", "FRA2", "Miss", 250),
  cdnRequest("v3", "FRA2", "Hit", 15),
  cdnRequest("v3", "FRA2", "Hit", 1, { app: "app-2" }),
];
const events = [...views, ...knownJobs(), ...knownApiCalls(), ...third, ...late, views[2]!, ...requests];
const DAYS = { from_dt: "2026-11-19", to_dt: "2026-11-23" };

let scratch: Awaited<ReturnType<typeof trinoScratch>>;
let h: Harness;
let engines: Record<"duckdb" | "trino" | "athena-on-trino", QueryEngine>;
let queries: Map<string, NamedQuery>;

beforeAll(async () => {
  queries = await loadNamedQueries();
  scratch = await trinoScratch(["2026-11-19", "2026-11-23"]);
  // 29 + 4 + 4 playback events and the one published twice: it comes after its hour's file was
  // cut, so the archiver keeps it (38 rows, one event_id twice); 13 job events (that duplicate is
  // dropped), 4 API calls; 9 final views, 2 jobs.
  h = await archiveWithProcessors(
    events,
    {
      "events/event_type=playback/": 38,
      "events/event_type=job/": 13,
      "events/event_type=api/": 4,
      "events/event_type=cdn/": requests.length,
      "records/views/": 9,
      "records/jobs/": 2,
    },
    {
      REELTIME_ARCHIVE: "s3",
      REELTIME_S3_BUCKET: scratch.bucket,
      REELTIME_S3_ENDPOINT: process.env.REELTIME_S3_ENDPOINT ?? "http://127.0.0.1:9000",
    },
  );
  // A replay archives a views file a second time: the named queries keep one version per view.
  const [first] = (await h.archive.list("records/views/")).filter((o) => o.key.endsWith(".parquet"));
  await h.archive.put(first!.key.replace(/\.parquet$/, "-replayed.parquet"), await h.archive.get(first!.key));
  const duckdb = await createQueryEngine(visibleArchive(h.archive), { ...h.env, REELTIME_QUERY: "duckdb" });
  await duckdb.start();
  const statement = trinoStatement({
    url: scratch.env.REELTIME_TRINO_URL,
    user: scratch.env.REELTIME_TRINO_USER,
    catalog: scratch.env.REELTIME_TRINO_CATALOG,
    schema: scratch.env.REELTIME_TRINO_SCHEMA,
  });
  const service = athenaService(
    athenaBackendOnTrino((sql, lits, signal) => executeWithLiterals(statement, sql, lits, signal)),
  );
  engines = {
    duckdb,
    trino: createTrinoEngine(scratch.env),
    "athena-on-trino": createAthenaEngine(
      {
        AWS_REGION: "us-east-1",
        REELTIME_ATHENA_DATABASE: scratch.env.REELTIME_TRINO_SCHEMA,
        REELTIME_ATHENA_WORKGROUP: "wg",
      },
      { client: service as unknown as AthenaClient, poll: { initialMs: 20, factor: 2, maxMs: 200 } },
    ),
  };
}, 300_000);
afterAll(async () => {
  await engines?.duckdb.shutdown();
  await h?.close();
  await scratch?.drop();
});

const given = (q: NamedQuery): Record<string, string> =>
  Object.fromEntries(q.params.map((p) => [p.name, p.name === "from_dt" || p.name === "to_dt" ? DAYS[p.name] : "10"]));

describe("named queries: DuckDB and Trino give the same rows over the same Parquet", () => {
  it("the data set has several days, a late partition and a record archived twice", async () => {
    const res = await engines.trino.run(
      "SELECT dt, hour, count(*) AS n FROM playback_events WHERE dt BETWEEN ? AND ? GROUP BY dt, hour ORDER BY dt, hour",
      [DAYS.from_dt, DAYS.to_dt],
    );
    expect(res.rows.map((r) => r.dt)).toEqual(expect.arrayContaining(["2026-11-20", "2026-11-21", "2026-11-22"]));
    expect(res.rows).toContainEqual({ dt: "2026-11-20", hour: "23", n: 4 });
    const twice = await engines.trino.run(
      "SELECT count(*) AS n, count(DISTINCT view_id) AS ids FROM views WHERE dt BETWEEN ? AND ?",
      [DAYS.from_dt, DAYS.to_dt],
    );
    expect(twice.rows[0]!.n).toBeGreaterThan(twice.rows[0]!.ids as number);
  });

  for (const name of [
    "qoe",
    "concurrent_viewers",
    "top_videos",
    "rendition_time",
    "job_steps",
    "last_api_calls",
    "qoe_by_video",
    "qoe_by_pop",
  ]) {
    it(`${name}: row for row`, async () => {
      const q = queries.get(name)!;
      const params = bindParams(q, given(q));
      const [duck, trino, athena] = await Promise.all(
        (["duckdb", "trino", "athena-on-trino"] as const).map((e) => runQuery(engines[e], { sql: q.sql, params })),
      );
      expect(duck!.rows.length, `${name} returns rows`).toBeGreaterThan(0);
      expect(trino!.rows, `${name}: Trino vs DuckDB`).toEqual(duck!.rows);
      expect(athena!.rows, `${name}: the Athena adapter on Trino vs DuckDB`).toEqual(duck!.rows);
      expect(trino!.columns.map((c) => c.name)).toEqual(duck!.columns.map((c) => c.name));
    });
  }
});
