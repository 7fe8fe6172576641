import { randomUUID } from "node:crypto";
import {
  type AthenaClient,
  type ColumnInfo,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type QueryExecutionState,
  type Row,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import type { Archive, QueryResult } from "@reeltime/ports";
import { createDuckDbEngine } from "@reeltime/query-duckdb";
import { mockClient } from "aws-sdk-client-mock";
import { placeholders } from "../src/params.ts";

interface Execution {
  state: QueryExecutionState;
  reason?: string;
  result?: QueryResult;
  stop: AbortController;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");
const athenaTimestamp = (d: Date) =>
  `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;

function text(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return athenaTimestamp(value);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * A stand-in for the Athena service behind a mocked AthenaClient: it does what Athena does with
 * ExecutionParameters (inserts each one's text at its `?`), runs the resulting SQL on DuckDB over
 * the same archive, and answers GetQueryExecution/GetQueryResults in Athena's shapes (all values
 * as text, a header row first, pages joined by NextToken). Lets the query conformance suite run
 * unchanged against the Athena adapter; athena.test.ts checks the exact requests separately.
 */
export function emulateAthena(client: AthenaClient, archive: Archive, dataDir: string, pageRows = 2) {
  const duck = createDuckDbEngine({ REELTIME_DATA_DIR: dataDir }, archive);
  const executions = new Map<string, Execution>();
  const mock = mockClient(client);

  mock.on(StartQueryExecutionCommand).callsFake(async (input) => {
    const id = randomUUID();
    const exec: Execution = { state: "QUEUED", stop: new AbortController() };
    executions.set(id, exec);
    const sql: string = input.QueryString;
    const params: string[] = input.ExecutionParameters ?? [];
    const slots = placeholders(sql);
    if (slots.length !== params.length) {
      exec.state = "FAILED";
      exec.reason = `Execution parameters count ${params.length} does not match placeholders count ${slots.length}`;
      return { QueryExecutionId: id };
    }
    let bound = sql;
    for (let i = slots.length - 1; i >= 0; i--)
      bound = bound.slice(0, slots[i]) + params[i] + bound.slice(slots[i]! + 1);
    exec.state = "RUNNING";
    (async () => {
      await duck.refresh();
      exec.result = await duck.run(bound, [], { signal: exec.stop.signal });
      exec.state = "SUCCEEDED";
    })().catch((err: Error & { cause?: Error }) => {
      exec.state = exec.stop.signal.aborted ? "CANCELLED" : "FAILED";
      exec.reason = exec.stop.signal.aborted ? "Query cancelled by user" : (err.cause?.message ?? err.message);
    });
    return { QueryExecutionId: id };
  });

  mock.on(GetQueryExecutionCommand).callsFake(async (input) => {
    const exec = executions.get(input.QueryExecutionId);
    if (!exec) throw new Error(`QueryExecution ${input.QueryExecutionId} was not found`);
    const scanned = (await archive.list("")).reduce((n, o) => n + o.size, 0);
    return {
      QueryExecution: {
        QueryExecutionId: input.QueryExecutionId,
        StatementType: "DML",
        Status: {
          State: exec.state,
          ...(exec.reason
            ? { StateChangeReason: exec.reason, AthenaError: { ErrorCategory: 2, ErrorMessage: exec.reason } }
            : {}),
        },
        Statistics: { DataScannedInBytes: scanned, EngineExecutionTimeInMillis: exec.result?.executionMs ?? 0 },
      },
    };
  });

  mock.on(GetQueryResultsCommand).callsFake(async (input) => {
    const exec = executions.get(input.QueryExecutionId);
    if (exec?.state !== "SUCCEEDED" || !exec.result) throw new Error("query has not yet finished");
    const { columns, rows } = exec.result;
    const info: ColumnInfo[] = columns.map((c) => ({ Name: c.name, Label: c.name, Type: c.type }));
    const all: Row[] = [
      { Data: columns.map((c) => ({ VarCharValue: c.name })) },
      ...rows.map((r) => ({ Data: columns.map((c) => ({ VarCharValue: text(r[c.name]) })) })),
    ];
    const from = Number(input.NextToken ?? 0);
    const to = from + Math.min(pageRows, input.MaxResults ?? 1000);
    return {
      ResultSet: { ResultSetMetadata: { ColumnInfo: info }, Rows: all.slice(from, to) },
      ...(to < all.length ? { NextToken: String(to) } : {}),
    };
  });

  mock.on(StopQueryExecutionCommand).callsFake(async (input) => {
    executions.get(input.QueryExecutionId)?.stop.abort();
    return {};
  });

  return { mock, shutdown: () => duck.shutdown() };
}
