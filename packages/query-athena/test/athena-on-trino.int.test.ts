import {
  type AthenaClient,
  GetQueryExecutionCommand,
  type GetQueryExecutionCommandOutput,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { createTrinoEngine, executeWithLiterals, trinoStatement } from "@reeltime/query-trino";
import { trinoScratch } from "@reeltime/query-trino/testing";
import { athenaBackendOnTrino, athenaService, parquetOf, queryConformance, TRINO_SLOW_SQL } from "@reeltime/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { createAthenaEngine } from "../src/athena-engine.ts";

// The Athena adapter's requests answered by Athena's own engine: each StartQueryExecution runs on
// the real Trino (`reeltime infra up`) with its QueryString unchanged and its ExecutionParameters
// as the literals of EXECUTE ... USING, the way Athena engine v3 binds them, over the tables the
// generated Trino DDL makes on a bucket of this run. SQL or a binding Trino would refuse fails
// here. athena-engine.test.ts keeps checking the exact AWS requests.
const scratch = await trinoScratch(["2024-05-01", "2024-05-02"]);
const statement = trinoStatement({
  url: scratch.env.REELTIME_TRINO_URL,
  user: scratch.env.REELTIME_TRINO_USER,
  catalog: scratch.env.REELTIME_TRINO_CATALOG,
  schema: scratch.env.REELTIME_TRINO_SCHEMA,
});
const service = athenaService(
  athenaBackendOnTrino((sql, literals, signal) => executeWithLiterals(statement, sql, literals, signal)),
  2,
);
const env = {
  AWS_REGION: "eu-west-1",
  REELTIME_ATHENA_DATABASE: scratch.env.REELTIME_TRINO_SCHEMA,
  REELTIME_ATHENA_WORKGROUP: "analysts",
};
const open = () =>
  createAthenaEngine(env, {
    client: service as unknown as AthenaClient,
    poll: { initialMs: 20, factor: 2, maxMs: 200 },
  });
afterAll(async () => {
  await scratch.drop();
});

queryConformance({
  adapter: "athena",
  archive: scratch.archive,
  open: async () => open(),
  parquet: parquetOf,
  slowSql: TRINO_SLOW_SQL,
});

describe("athena adapter on Trino, Athena's engine", () => {
  it("sends the SQL unchanged with ExecutionParameters, and gets Trino's answer in Athena's shapes", async () => {
    service.requests.length = 0;
    const res = await open().run("SELECT ? AS s, ? AS n, ? AS at", [
      `It's`,
      7,
      new Date(Date.UTC(2024, 4, 1, 7, 0, 1, 500)),
    ]);
    const start = service.requests.find((r) => r.command === "StartQueryExecutionCommand")!;
    expect(start.input.QueryString).toBe("SELECT ? AS s, ? AS n, ? AS at");
    expect(start.input.ExecutionParameters).toEqual(["'It''s'", "7", "TIMESTAMP '2024-05-01 07:00:01.500'"]);
    expect(res.rows).toEqual([{ s: "It's", n: 7, at: new Date("2024-05-01T07:00:01.500Z") }]);
  });

  it("the same query on the Trino adapter gives the same rows", async () => {
    const trino = createTrinoEngine(scratch.env);
    const sql =
      "SELECT event_id, received_at, seq, dt, hour FROM playback_events WHERE dt BETWEEN ? AND ? ORDER BY seq";
    const params = ["2024-05-01", "2024-05-02"];
    const [a, t] = await Promise.all([open().run(sql, params), trino.run(sql, params)]);
    expect(a.rows.length).toBeGreaterThan(0);
    expect(a.rows).toEqual(t.rows);
    expect(a.columns).toEqual(t.columns);
  });

  it("a parameter Athena would insert as broken SQL fails on Trino too (no pasting into the text)", async () => {
    // An ExecutionParameter is a literal's text: a bare word is not one, and Trino refuses it
    // where a pasting emulator would have run `SELECT DROP AS s`.
    const sent = (await service.send(
      new StartQueryExecutionCommand({ QueryString: "SELECT ? AS s", ExecutionParameters: ["DROP"] }),
    )) as { QueryExecutionId: string };
    const id = sent.QueryExecutionId;
    let state = "RUNNING";
    let reason = "";
    for (let i = 0; i < 100 && state === "RUNNING"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const qe = (await service.send(
        new GetQueryExecutionCommand({ QueryExecutionId: id }),
      )) as GetQueryExecutionCommandOutput;
      state = qe.QueryExecution?.Status?.State ?? "?";
      reason = qe.QueryExecution?.Status?.StateChangeReason ?? "";
    }
    expect(state).toBe("FAILED");
    expect(reason).toMatch(/DROP|mismatched|Column|cannot be resolved/i);
  });
});
