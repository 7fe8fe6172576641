import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  TooManyRequestsException,
} from "@aws-sdk/client-athena";
import { createArchive } from "@reeltime/connectors";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { parquetOf, queryConformance, SLOW_SQL } from "@reeltime/testkit";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { createAthenaEngine } from "../src/athena-engine.ts";
import { athenaLiteral, placeholders } from "../src/params.ts";
import { athenaValue } from "../src/results.ts";
import { emulateAthena } from "./athena-emulator.ts";

const dataDir = mkdtempSync(join(tmpdir(), "reeltime-athena-"));
// The fs archive (in @reeltime/connectors, through its factory).
const archive = await createArchive(loadEnv(ConnectionEnv, { REELTIME_ARCHIVE: "fs", REELTIME_DATA_DIR: dataDir }));
const env = {
  AWS_REGION: "eu-west-1",
  REELTIME_ATHENA_DATABASE: "reeltime_db",
  REELTIME_ATHENA_WORKGROUP: "analysts",
  REELTIME_ATHENA_OUTPUT: "s3://athena-results/reeltime/",
};
const fast = { initialMs: 5, factor: 2, maxMs: 50 };
const emulatedClient = new AthenaClient({ region: env.AWS_REGION });
const emulator = emulateAthena(emulatedClient, archive, dataDir);
afterAll(async () => {
  await emulator.shutdown();
  rmSync(dataDir, { recursive: true, force: true });
});

// Labelled for what it is: DuckDB behind a mocked transport, with the parameters pasted into the
// SQL text, so it proves the adapter's paging, polling and typing, not Athena's SQL or binding.
// The "athena" cell of the grid runs on Trino (athena-on-trino.int.test.ts).
queryConformance({
  adapter: "athena-duckdb-emulator",
  archive,
  open: async () => createAthenaEngine(env, { client: emulatedClient, poll: fast }),
  parquet: parquetOf,
  slowSql: SLOW_SQL,
});

describe("athena engine: the exact requests", () => {
  const client = new AthenaClient({ region: env.AWS_REGION });
  const mock = mockClient(client);
  const engine = createAthenaEngine(env, { client, poll: { initialMs: 10, factor: 2, maxMs: 40 } });
  const header = { Data: [{ VarCharValue: "n" }, { VarCharValue: "title" }] };
  const columns = [
    { Name: "n", Label: "n", Type: "bigint" },
    { Name: "title", Label: "title", Type: "varchar" },
  ];
  beforeEach(() => mock.reset());

  it("starts with bound, correctly quoted ExecutionParameters, workgroup, database and output", async () => {
    mock.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q1" });
    mock.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { QueryExecutionId: "q1", Status: { State: "SUCCEEDED" }, Statistics: {} },
    });
    mock.on(GetQueryResultsCommand).resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: [] }, Rows: [] } });
    const sql =
      "SELECT * FROM playback_events WHERE video_title = ? AND seq > ? AND sample_rate < ? AND player_muted = ? AND received_at >= ? AND view_id IS DISTINCT FROM ? AND page_url = ?";
    await engine.run(sql, [
      `O'Brien's "cut" \\ '' --`,
      42,
      0.25,
      false,
      new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)),
      null,
      "naïve ✓",
    ]);
    const starts = mock.commandCalls(StartQueryExecutionCommand);
    expect(starts).toHaveLength(1);
    expect(starts[0]!.args[0].input).toEqual({
      QueryString: sql,
      ClientRequestToken: expect.stringMatching(/^[0-9a-f-]{36}$/),
      QueryExecutionContext: { Database: "reeltime_db" },
      WorkGroup: "analysts",
      ResultConfiguration: { OutputLocation: "s3://athena-results/reeltime/" },
      ExecutionParameters: [
        `'O''Brien''s "cut" \\ '''' --'`,
        "42",
        "2.5E-1",
        "FALSE",
        "TIMESTAMP '2024-01-02 03:04:05.006'",
        "NULL",
        "'naïve ✓'",
      ],
    });
  });

  it("leaves out ExecutionParameters without parameters and OutputLocation when unset", async () => {
    mock.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q2" });
    mock.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: "SUCCEEDED" } } });
    mock.on(GetQueryResultsCommand).resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: [] }, Rows: [] } });
    const { REELTIME_ATHENA_OUTPUT: _unset, ...withoutOutput } = env;
    const bare = createAthenaEngine(withoutOutput, { client, poll: fast });
    await bare.run("SELECT 1");
    const input = mock.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input;
    expect(Object.keys(input).sort()).toEqual([
      "ClientRequestToken",
      "QueryExecutionContext",
      "QueryString",
      "WorkGroup",
    ]);
  });

  it("polls GetQueryExecution with exponential backoff, pages with NextToken, reports bytes scanned", async () => {
    mock.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q3" });
    const states = ["QUEUED", "RUNNING", "RUNNING", "RUNNING", "SUCCEEDED"] as const;
    const polledAt: number[] = [];
    let i = 0;
    mock.on(GetQueryExecutionCommand).callsFake(async () => {
      polledAt.push(performance.now());
      const state = states[Math.min(i++, states.length - 1)]!;
      return {
        QueryExecution: {
          QueryExecutionId: "q3",
          Status: { State: state },
          Statistics: { DataScannedInBytes: 10_485_760, EngineExecutionTimeInMillis: 1234 },
        },
      };
    });
    mock
      .on(GetQueryResultsCommand, { QueryExecutionId: "q3", MaxResults: 1000 })
      .resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: columns },
          Rows: [header, { Data: [{ VarCharValue: "9007199254740993" }, { VarCharValue: "a" }] }],
        },
        NextToken: "page-2",
      })
      .on(GetQueryResultsCommand, { QueryExecutionId: "q3", MaxResults: 1000, NextToken: "page-2" })
      .resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: columns },
          Rows: [{ Data: [{ VarCharValue: "7" }, {}] }],
        },
      });
    const res = await engine.run("SELECT n, title FROM t");
    expect(mock.commandCalls(GetQueryExecutionCommand).map((c) => c.args[0].input)).toEqual(
      Array(5).fill({ QueryExecutionId: "q3" }),
    );
    const gaps = polledAt.slice(1).map((t, k) => t - polledAt[k]!);
    [10, 20, 40, 40].forEach((want, k) => {
      expect(gaps[k]).toBeGreaterThanOrEqual(want - 2);
    });
    expect(mock.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input)).toEqual([
      { QueryExecutionId: "q3", MaxResults: 1000 },
      { QueryExecutionId: "q3", MaxResults: 1000, NextToken: "page-2" },
    ]);
    expect(res).toEqual({
      columns: [
        { name: "n", type: "bigint" },
        { name: "title", type: "varchar" },
      ],
      rows: [
        { n: 9007199254740993n, title: "a" },
        { n: 7, title: null },
      ],
      bytesScanned: 10_485_760,
      executionMs: 1234,
    });
  });

  it("stops the execution with StopQueryExecution when the signal fires", async () => {
    mock.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q4" });
    mock.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: "RUNNING" } } });
    mock.on(StopQueryExecutionCommand).resolves({});
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 60);
    await expect(engine.run("SELECT 1", [], { signal: ac.signal })).rejects.toMatchObject({
      code: "REELTIME_ERR_QUERY_CANCELLED",
    });
    expect(mock.commandCalls(StopQueryExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { QueryExecutionId: "q4" },
    ]);
    expect(mock.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it("a FAILED execution gives REELTIME_ERR_QUERY with Athena's reason; CANCELLED says who", async () => {
    mock.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q5" });
    mock.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        Status: {
          State: "FAILED",
          StateChangeReason: "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.reeltime_db.nope' does not exist",
          AthenaError: {
            ErrorCategory: 2,
            ErrorMessage: "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.reeltime_db.nope' does not exist",
          },
        },
      },
    });
    await expect(engine.run("SELECT * FROM nope")).rejects.toMatchObject({
      code: "REELTIME_ERR_QUERY",
      message: expect.stringContaining("TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.reeltime_db.nope'"),
    });
    mock.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { Status: { State: "CANCELLED", StateChangeReason: "Query cancelled by user" } },
    });
    await expect(engine.run("SELECT 1")).rejects.toMatchObject({
      code: "REELTIME_ERR_QUERY_CANCELLED",
      message: expect.stringContaining("Query cancelled by user"),
    });
  });

  it("throttling gives a retryable REELTIME_ERR_QUERY_UNAVAILABLE; wrong parameter counts never reach Athena", async () => {
    mock
      .on(StartQueryExecutionCommand)
      .rejects(new TooManyRequestsException({ message: "Rate exceeded", $metadata: { httpStatusCode: 400 } }));
    await expect(engine.run("SELECT 1")).rejects.toMatchObject({
      code: "REELTIME_ERR_QUERY_UNAVAILABLE",
      retryable: true,
    });
    mock.reset();
    await expect(engine.run("SELECT ? AS a, '?' AS b -- ?", [])).rejects.toMatchObject({ code: "REELTIME_ERR_QUERY" });
    expect(mock.commandCalls(StartQueryExecutionCommand)).toHaveLength(0);
  });
});

describe("athena parameters and values", () => {
  it("finds placeholders outside literals, quoted identifiers and comments", () => {
    const sql = `SELECT ?, '?', 'it''s ?', "we?rd", ? -- ?\n, /* ? */ ?`;
    expect(placeholders(sql).map((at) => sql[at])).toEqual(["?", "?", "?"]);
    expect(placeholders(sql)).toHaveLength(3);
  });

  it("renders each parameter as the SQL literal Athena inserts", () => {
    expect(athenaLiteral("it's", 0)).toBe("'it''s'");
    expect(athenaLiteral("''", 0)).toBe("''''''");
    expect(athenaLiteral("back\\slash", 0)).toBe("'back\\slash'");
    expect(athenaLiteral(-7, 0)).toBe("-7");
    expect(athenaLiteral(1.5, 0)).toBe("1.5E+0");
    expect(athenaLiteral(2 ** 60, 0)).toBe("1.152921504606847E+18");
    expect(athenaLiteral(true, 0)).toBe("TRUE");
    expect(athenaLiteral(null, 0)).toBe("NULL");
    expect(athenaLiteral(new Date("2024-05-01T07:00:01.5Z"), 0)).toBe("TIMESTAMP '2024-05-01 07:00:01.500'");
    expect(() => athenaLiteral(Number.NaN, 2)).toThrow(/parameter 3 is NaN/);
    expect(() => athenaLiteral(new Date("nope"), 0)).toThrow(/invalid Date/);
  });

  it("types Athena's text values by column type", () => {
    expect(athenaValue("123", "integer")).toBe(123);
    expect(athenaValue("12.50", "decimal(10,2)")).toBe(12.5);
    expect(athenaValue("true", "boolean")).toBe(true);
    expect(athenaValue("2024-05-01 07:00:01.123456", "timestamp")).toEqual(new Date("2024-05-01T07:00:01.123Z"));
    expect(athenaValue("2024-05-01 07:00:01.000 UTC", "timestamp with time zone")).toEqual(
      new Date("2024-05-01T07:00:01Z"),
    );
    expect(athenaValue("2024-05-01", "date")).toBe("2024-05-01");
    expect(athenaValue(undefined, "varchar")).toBeNull();
  });
});
