import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { athenaDdl, renderDdl } from "@reeltime/events";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { bindParams, loadNamedQueries } from "../src/queries/catalog.ts";
import { runQuery } from "../src/run.ts";
import { applyDdl, openSession, type Session } from "../src/session.ts";

// Every AthenaClient the factory makes answers from this mock: no request leaves the process.
const mock = mockClient(AthenaClient);
const env = loadEnv(ConnectionEnv, {
  REELTIME_DATA_DIR: "/tmp/reeltime-analytics-athena",
  REELTIME_QUERY: "athena",
  REELTIME_ATHENA_DATABASE: "reeltime_prod",
  REELTIME_ATHENA_WORKGROUP: "analysts",
  REELTIME_ATHENA_OUTPUT: "s3://athena-results/reeltime/",
  AWS_REGION: "eu-west-1",
});
let session: Session;

function answer(scanned: number, columns: { Name: string; Type: string }[] = [], rows: string[][] = []) {
  mock.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-1" });
  mock.on(GetQueryExecutionCommand).resolves({
    QueryExecution: {
      QueryExecutionId: "q-1",
      Status: { State: "SUCCEEDED" },
      Statistics: { DataScannedInBytes: scanned, EngineExecutionTimeInMillis: 12 },
    },
  });
  mock.on(GetQueryResultsCommand).resolves({
    ResultSet: {
      ResultSetMetadata: { ColumnInfo: columns },
      Rows: [columns.map((c) => c.Name), ...rows].map((r) => ({ Data: r.map((v) => ({ VarCharValue: v })) })),
    },
  });
}

beforeEach(async () => {
  mock.reset();
  session ??= await openSession(env, "athena");
});
afterAll(async () => {
  await session?.close();
  mock.restore();
});

const starts = () => mock.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);

describe("Athena path through a mocked transport", () => {
  it("ddl --apply: CREATE DATABASE, then each generated table, in the workgroup and database", async () => {
    answer(0);
    const steps: string[] = [];
    await applyDdl(session.engine, { database: "reeltime_prod", bucket: "acme-video-archive" }, (what) =>
      steps.push(what),
    );
    const ddl = athenaDdl();
    const sent = starts();
    expect(sent.map((s) => s.QueryString)).toEqual([
      "CREATE DATABASE IF NOT EXISTS `reeltime_prod`",
      ...Object.values(ddl).map((d) =>
        renderDdl(d, { database: "reeltime_prod", bucket: "acme-video-archive" }).trim().replace(/;$/, ""),
      ),
    ]);
    expect(steps).toEqual(["reeltime_prod", ...Object.keys(ddl)]);
    for (const s of sent) {
      expect(s.WorkGroup).toBe("analysts");
      expect(s.QueryExecutionContext).toEqual({ Database: "reeltime_prod" });
      expect(s.ResultConfiguration).toEqual({ OutputLocation: "s3://athena-results/reeltime/" });
      expect(s.ExecutionParameters).toBeUndefined();
    }
    expect(sent[1]!.QueryString).toContain("LOCATION 's3://acme-video-archive/events/event_type=playback/'");
    expect(sent[1]!.QueryString).toContain("'projection.enabled' = 'true'");
  });

  it("a named query goes out unchanged with its parameters as ExecutionParameters; bytes scanned come back", async () => {
    const queries = await loadNamedQueries();
    const q = queries.get("top_videos")!;
    answer(
      52_428_800,
      [
        { Name: "place", Type: "bigint" },
        { Name: "video_id", Type: "varchar" },
        { Name: "playing_hours", Type: "double" },
      ],
      [["1", "vid-a", "0.041"]],
    );
    const res = await runQuery(session.engine, {
      sql: q.sql,
      params: bindParams(q, { from_dt: "2026-11-20", to_dt: "2026-11-21", top_n: "10" }),
    });
    const [sent] = starts();
    expect(sent!.QueryString).toBe(q.sql);
    expect(sent!.ExecutionParameters).toEqual(["'2026-11-20'", "'2026-11-21'", "10"]);
    expect(res.bytesScanned).toBe(52_428_800);
    expect(res.rows).toEqual([{ place: 1, video_id: "vid-a", playing_hours: 0.041 }]);
  });

  it("every named query binds its parameters the same way", async () => {
    for (const q of (await loadNamedQueries()).values()) {
      mock.reset();
      answer(1);
      const given = Object.fromEntries(q.params.map((p) => [p.name, p.name.endsWith("_dt") ? "2026-11-20" : "5"]));
      await runQuery(session.engine, { sql: q.sql, params: bindParams(q, given) });
      const [sent] = starts();
      expect(sent!.QueryString, q.name).toBe(q.sql);
      expect(sent!.ExecutionParameters, q.name).toEqual(
        q.params.map((p) => (p.name.endsWith("_dt") ? "'2026-11-20'" : "5")),
      );
    }
  });

  it("the cost guard refuses a query without a dt filter unless forced, before any request", async () => {
    answer(10_485_760, [{ Name: "n", Type: "bigint" }], [["7"]]);
    await expect(runQuery(session.engine, { sql: "SELECT count(*) AS n FROM views" })).rejects.toMatchObject({
      code: "REELTIME_ERR_QUERY_COST",
    });
    expect(starts()).toHaveLength(0);
    const forced = await runQuery(session.engine, { sql: "SELECT count(*) AS n FROM views", force: true });
    expect(forced.rows).toEqual([{ n: 7 }]);
    expect(forced.bytesScanned).toBe(10_485_760);
    // A dt filter (here with a literal, so no parameters) passes the guard.
    mock.reset();
    answer(0, [{ Name: "n", Type: "bigint" }], [["7"]]);
    await runQuery(session.engine, { sql: "SELECT count(*) AS n FROM views WHERE dt = '2026-11-20'" });
    expect(starts()).toHaveLength(1);
  });
});
