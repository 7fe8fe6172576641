import { randomUUID } from "node:crypto";

/** What an engine behind the double answers: columns with Athena type names, rows as Athena's text. */
export interface AthenaBackendResult {
  columns: { name: string; type: string }[];
  /** Each value as the text Athena's GetQueryResults gives (VarCharValue), null for SQL NULL. */
  rows: (string | null)[][];
  scannedBytes: number;
  executionMs: number;
}

/**
 * Runs one StartQueryExecution: the QueryString unchanged and its ExecutionParameters, each the
 * text of a SQL literal, bound the way Athena binds them (on Trino: `EXECUTE … USING`).
 */
export type AthenaBackend = (
  queryString: string,
  executionParameters: string[],
  signal: AbortSignal,
) => Promise<AthenaBackendResult>;

interface Execution {
  state: "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";
  reason?: string;
  result?: AthenaBackendResult;
  stop: AbortController;
}

interface Command {
  input: object;
}

/**
 * A stand-in for the Athena service to hand to `createAthenaEngine(env, { client })`: it answers
 * StartQueryExecution, GetQueryExecution, GetQueryResults (a header row first, `pageRows` rows a
 * page, NextToken) and StopQueryExecution in Athena's shapes, and hands each query to `backend`
 * with its parameters as Athena received them. Every request is kept in `requests` (command name
 * and input), so a test can check what the adapter sent too. Duck-typed on the commands' class
 * names: no AWS SDK here.
 */
export function athenaService(backend: AthenaBackend, pageRows = 1000) {
  const executions = new Map<string, Execution>();
  const requests: { command: string; input: Record<string, unknown> }[] = [];

  async function send(command: Command): Promise<unknown> {
    const name = (command as object).constructor.name;
    const input = command.input as Record<string, unknown>;
    requests.push({ command: name, input });
    switch (name) {
      case "StartQueryExecutionCommand": {
        const id = randomUUID();
        const exec: Execution = { state: "RUNNING", stop: new AbortController() };
        executions.set(id, exec);
        backend(String(input.QueryString), (input.ExecutionParameters as string[] | undefined) ?? [], exec.stop.signal)
          .then((result) => {
            exec.result = result;
            exec.state = "SUCCEEDED";
          })
          .catch((err: Error & { cause?: Error }) => {
            exec.state = exec.stop.signal.aborted ? "CANCELLED" : "FAILED";
            exec.reason = exec.stop.signal.aborted ? "Query cancelled by user" : err.message;
          });
        return { QueryExecutionId: id };
      }
      case "GetQueryExecutionCommand": {
        const exec = executions.get(String(input.QueryExecutionId));
        if (!exec) throw Object.assign(new Error("QueryExecution was not found"), { name: "InvalidRequestException" });
        return {
          QueryExecution: {
            QueryExecutionId: input.QueryExecutionId,
            Status: {
              State: exec.state,
              ...(exec.reason
                ? { StateChangeReason: exec.reason, AthenaError: { ErrorCategory: 2, ErrorMessage: exec.reason } }
                : {}),
            },
            Statistics: {
              DataScannedInBytes: exec.result?.scannedBytes ?? 0,
              EngineExecutionTimeInMillis: exec.result?.executionMs ?? 0,
            },
          },
        };
      }
      case "GetQueryResultsCommand": {
        const exec = executions.get(String(input.QueryExecutionId));
        if (exec?.state !== "SUCCEEDED" || !exec.result)
          throw Object.assign(new Error("Query has not yet finished"), { name: "InvalidRequestException" });
        const { columns, rows } = exec.result;
        const all = [
          { Data: columns.map((c) => ({ VarCharValue: c.name })) },
          ...rows.map((r) => ({ Data: r.map((v) => (v === null ? {} : { VarCharValue: v })) })),
        ];
        const from = Number(input.NextToken ?? 0);
        const to = from + Math.min(pageRows, Number(input.MaxResults ?? 1000));
        return {
          ResultSet: {
            ResultSetMetadata: { ColumnInfo: columns.map((c) => ({ Name: c.name, Label: c.name, Type: c.type })) },
            Rows: all.slice(from, to),
          },
          ...(to < all.length ? { NextToken: String(to) } : {}),
        };
      }
      case "StopQueryExecutionCommand":
        executions.get(String(input.QueryExecutionId))?.stop.abort();
        return {};
      case "GetWorkGroupCommand":
        return { WorkGroup: { Name: input.WorkGroup, State: "ENABLED" } };
      default:
        throw new Error(`the Athena double does not answer ${name}`);
    }
  }

  return { send, destroy: () => undefined, requests };
}

/** One Trino statement's result as @reeltime/query-trino's `executeWithLiterals` gives it. */
export interface TrinoLikeResult {
  columns: { name: string; type: string }[];
  data: unknown[][];
  stats: { physicalInputBytes: number; elapsedTimeMillis: number };
}

const athenaType = (t: string) => t.toLowerCase().replace(/^(varchar|char|timestamp|time)\(\d+\)/, "$1");

function athenaText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v;
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/**
 * The backend that makes {@link athenaService} Athena's engine v3 for real: each query goes to
 * Trino with its ExecutionParameters as the literals of `EXECUTE … USING` (`execute` is
 * `executeWithLiterals` of @reeltime/query-trino, the very path the Trino adapter binds by), and
 * Trino's JSON values come back as Athena's text.
 */
export function athenaBackendOnTrino(
  execute: (sql: string, literals: string[], signal: AbortSignal) => Promise<TrinoLikeResult>,
): AthenaBackend {
  return async (queryString, parameters, signal) => {
    const res = await execute(queryString, parameters, signal);
    return {
      columns: res.columns.map((c) => ({ name: c.name, type: athenaType(c.type) })),
      rows: res.data.map((row) => row.map(athenaText)),
      scannedBytes: res.stats.physicalInputBytes,
      executionMs: res.stats.elapsedTimeMillis,
    };
  };
}
