import { randomUUID } from "node:crypto";
import {
  AthenaClient,
  type ColumnInfo,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  GetWorkGroupCommand,
  type QueryExecution,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { queryCancelled, queryFailed } from "@reeltime/connectors/adapter";
import type { Health, QueryEngine, QueryResult, SqlValue } from "@reeltime/ports";
import { type ConnectionEnv, ReeltimeError, sleep, unavailable } from "@reeltime/runtime";
import { athenaLiteral, placeholders } from "./params.ts";
import { athenaRows } from "./results.ts";

export type AthenaEnv = Pick<
  ConnectionEnv,
  "AWS_REGION" | "REELTIME_ATHENA_DATABASE" | "REELTIME_ATHENA_WORKGROUP" | "REELTIME_ATHENA_OUTPUT"
>;

export interface AthenaEngineOptions {
  /** A ready client (tests); otherwise one is made for AWS_REGION with the default credential chain. */
  client?: AthenaClient;
  /** Polling of GetQueryExecution: first delay, growth factor and cap (ms). */
  poll?: { initialMs: number; factor: number; maxMs: number };
  /** Rows per GetQueryResults page (Athena allows up to 1000). */
  pageSize?: number;
}

// Errors the service (or the network) gives when trying again later can work.
const TRANSIENT =
  /TooManyRequests|Throttl|InternalServer|ServiceUnavailable|Timeout|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|socket hang up/i;

function failure(op: string, err: unknown): ReeltimeError {
  if (err instanceof ReeltimeError) return err;
  const e = err as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const text = `${e.name ?? ""} ${e.code ?? ""} ${e.message ?? String(err)}`;
  const status = e.$metadata?.httpStatusCode;
  if (TRANSIENT.test(text) || (status !== undefined && status >= 500))
    return unavailable("query", `Athena ${op} failed: ${e.message ?? String(err)}`, err);
  return queryFailed(`Athena ${op} refused it: ${e.name ?? "error"}: ${e.message ?? String(err)}`, err);
}

/**
 * Athena over the archive's Glue tables. Each run starts one query execution with the parameters
 * bound as ExecutionParameters, polls it with exponential backoff, pages the results with
 * NextToken and stops the execution when the caller's signal fires. Reports bytes scanned.
 */
export function createAthenaEngine(env: AthenaEnv, options: AthenaEngineOptions = {}): QueryEngine {
  const client = options.client ?? new AthenaClient({ region: env.AWS_REGION, maxAttempts: 5 });
  const poll = options.poll ?? { initialMs: 100, factor: 2, maxMs: 2000 };
  const pageSize = options.pageSize ?? 1000;

  async function start(sql: string, params: SqlValue[]): Promise<string> {
    const res = await client
      .send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          ClientRequestToken: randomUUID(),
          QueryExecutionContext: { Database: env.REELTIME_ATHENA_DATABASE },
          WorkGroup: env.REELTIME_ATHENA_WORKGROUP,
          ...(env.REELTIME_ATHENA_OUTPUT
            ? { ResultConfiguration: { OutputLocation: env.REELTIME_ATHENA_OUTPUT } }
            : {}),
          ...(params.length > 0 ? { ExecutionParameters: params.map(athenaLiteral) } : {}),
        }),
      )
      .catch((err) => {
        throw failure("StartQueryExecution", err);
      });
    if (!res.QueryExecutionId) throw unavailable("query", "Athena StartQueryExecution returned no QueryExecutionId");
    return res.QueryExecutionId;
  }

  async function stop(id: string): Promise<void> {
    await client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
  }

  async function waitFor(id: string, signal?: AbortSignal): Promise<QueryExecution> {
    let delay = poll.initialMs;
    for (;;) {
      if (signal?.aborted) {
        await stop(id);
        throw queryCancelled(`Athena query ${id} was stopped`, signal.reason);
      }
      const { QueryExecution: qe } = await client
        .send(new GetQueryExecutionCommand({ QueryExecutionId: id }))
        .catch((err) => {
          throw failure("GetQueryExecution", err);
        });
      const state = qe?.Status?.State;
      if (state === "SUCCEEDED") return qe!;
      if (state === "FAILED") {
        const reason = qe?.Status?.AthenaError?.ErrorMessage ?? qe?.Status?.StateChangeReason ?? "no reason given";
        throw queryFailed(`Athena query ${id} failed: ${reason}`);
      }
      if (state === "CANCELLED")
        throw queryCancelled(`Athena query ${id} was cancelled: ${qe?.Status?.StateChangeReason ?? "no reason given"}`);
      await sleep(delay, signal);
      delay = Math.min(delay * poll.factor, poll.maxMs);
    }
  }

  async function results(id: string, signal?: AbortSignal): Promise<Pick<QueryResult, "columns" | "rows">> {
    let columns: ColumnInfo[] = [];
    const rows: Record<string, unknown>[] = [];
    let token: string | undefined;
    let first = true;
    do {
      if (signal?.aborted) throw queryCancelled(`stopped reading the results of Athena query ${id}`, signal.reason);
      const page = await client
        .send(
          new GetQueryResultsCommand({
            QueryExecutionId: id,
            MaxResults: pageSize,
            ...(token ? { NextToken: token } : {}),
          }),
        )
        .catch((err) => {
          throw failure("GetQueryResults", err);
        });
      if (first) columns = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      // The first row of a SELECT's first page repeats the column names.
      const data = page.ResultSet?.Rows ?? [];
      rows.push(...athenaRows(columns, first && columns.length > 0 ? data.slice(1) : data));
      first = false;
      token = page.NextToken;
    } while (token);
    return { columns: columns.map((c) => ({ name: c.Name ?? "", type: (c.Type ?? "varchar").toLowerCase() })), rows };
  }

  async function run(sql: string, params: SqlValue[] = [], opts: { signal?: AbortSignal } = {}): Promise<QueryResult> {
    const { signal } = opts;
    if (signal?.aborted) throw queryCancelled("the signal was already aborted", signal.reason);
    const slots = placeholders(sql).length;
    if (slots !== params.length)
      throw queryFailed(`the SQL has ${slots} "?" placeholders but ${params.length} parameters were given`);
    const t0 = performance.now();
    const id = await start(sql, params);
    const qe = await waitFor(id, signal);
    const { columns, rows } = await results(id, signal);
    return {
      columns,
      rows,
      bytesScanned: qe.Statistics?.DataScannedInBytes ?? 0,
      executionMs: qe.Statistics?.EngineExecutionTimeInMillis ?? performance.now() - t0,
    };
  }

  async function health(): Promise<Health> {
    try {
      await client.send(new GetWorkGroupCommand({ WorkGroup: env.REELTIME_ATHENA_WORKGROUP }));
      return { ok: true, driver: "athena", detail: env.REELTIME_ATHENA_WORKGROUP };
    } catch (err) {
      return { ok: false, driver: "athena", detail: err instanceof Error ? err.message : String(err) };
    }
  }

  return {
    driver: "athena",
    start: async () => undefined,
    health,
    shutdown: async () => {
      if (!options.client) client.destroy();
    },
    refresh: async () => undefined,
    run,
  };
}
