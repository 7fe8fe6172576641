import { placeholders, queryFailed, trinoLiteral } from "@reeltime/connectors/adapter";
import type { Health, QueryEngine, QueryResult, SqlValue } from "@reeltime/ports";
import type { ConnectionEnv } from "@reeltime/runtime";
import { type TrinoStatement, type TrinoStatementResult, trinoStatement } from "./protocol.ts";
import { trinoValue, typeName } from "./results.ts";

export type TrinoEnv = Pick<
  ConnectionEnv,
  "REELTIME_TRINO_URL" | "REELTIME_TRINO_CATALOG" | "REELTIME_TRINO_SCHEMA" | "REELTIME_TRINO_USER"
>;

export interface TrinoEngineOptions {
  /** The fetch to use (tests); default the global one. */
  fetch?: typeof fetch;
}

/** The name each run's statement is prepared under (the header carries it; nothing is kept on the server). */
const PREPARED = "reeltime_statement";

/**
 * Runs `sql` with its `?` bound to `literals` (each the text of a SQL literal) as Athena binds
 * ExecutionParameters on its Trino engine: the SQL prepared unchanged (in the
 * X-Trino-Prepared-Statement header) and `EXECUTE … USING` the literals. Without literals the SQL
 * runs as it is, as Athena runs a query without ExecutionParameters.
 */
export function executeWithLiterals(
  statement: TrinoStatement,
  sql: string,
  literals: readonly string[],
  signal?: AbortSignal,
): Promise<TrinoStatementResult> {
  const opts = signal ? { signal } : {};
  if (literals.length === 0) return statement(sql, opts);
  return statement(`EXECUTE ${PREPARED} USING ${literals.join(", ")}`, { prepared: { [PREPARED]: sql }, ...opts });
}

/**
 * Trino over the archive's tables in its Hive catalog (`reeltime analytics ddl --engine trino
 * --apply` makes them). A run with parameters prepares the SQL unchanged and executes it with
 * `EXECUTE … USING` and each parameter as a SQL literal, the binding Athena's ExecutionParameters
 * get on its Trino engine; the SQL text is never spliced. Reports the bytes read from storage and
 * Trino's elapsed time; the caller's signal cancels the query on the coordinator.
 */
export function createTrinoEngine(env: TrinoEnv, options: TrinoEngineOptions = {}): QueryEngine {
  const base = env.REELTIME_TRINO_URL.replace(/\/+$/, "");
  const statement = trinoStatement(
    {
      url: base,
      user: env.REELTIME_TRINO_USER,
      catalog: env.REELTIME_TRINO_CATALOG,
      schema: env.REELTIME_TRINO_SCHEMA,
    },
    options.fetch,
  );
  const fetchImpl = options.fetch ?? fetch;

  async function run(sql: string, params: SqlValue[] = [], opts: { signal?: AbortSignal } = {}): Promise<QueryResult> {
    const slots = placeholders(sql).length;
    if (slots !== params.length)
      throw queryFailed(`the SQL has ${slots} "?" placeholders but ${params.length} parameters were given`);
    const literals = params.map(trinoLiteral);
    const t0 = performance.now();
    const res = await executeWithLiterals(statement, sql, literals, opts.signal);
    const columns = res.columns.map((c) => ({ name: c.name, type: typeName(c.type) }));
    const rows = res.data.map((row) => {
      const out: Record<string, unknown> = {};
      res.columns.forEach((c, i) => {
        out[c.name] = trinoValue(row[i], c.type);
      });
      return out;
    });
    return {
      columns,
      rows,
      bytesScanned: res.stats.physicalInputBytes,
      executionMs: res.stats.elapsedTimeMillis || performance.now() - t0,
    };
  }

  async function health(): Promise<Health> {
    try {
      const res = await fetchImpl(`${base}/v1/info`, { signal: AbortSignal.timeout(3000) });
      const info = (await res.json()) as { nodeVersion?: { version?: string }; starting?: boolean };
      const ok = res.ok && info.starting === false;
      return {
        ok,
        driver: "trino",
        detail: `${base} ${ok ? `Trino ${info.nodeVersion?.version ?? "?"}` : "starting"}, ${env.REELTIME_TRINO_CATALOG}.${env.REELTIME_TRINO_SCHEMA}`,
      };
    } catch (err) {
      return { ok: false, driver: "trino", detail: err instanceof Error ? err.message : String(err) };
    }
  }

  return {
    driver: "trino",
    start: async () => undefined,
    health,
    shutdown: async () => undefined,
    // Partition projection: a new file is read by the next query, nothing to refresh.
    refresh: async () => undefined,
    run,
  };
}
