import { resolve } from "node:path";
import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBResultReader,
  type DuckDBValue,
  timestampValue,
} from "@duckdb/node-api";
import { integer, queryCancelled, queryFailed } from "@reeltime/connectors/adapter";
import type { Archive, Health, QueryEngine, QueryResult, SqlValue } from "@reeltime/ports";
import { type ConnectionEnv, ReeltimeError, unavailable } from "@reeltime/runtime";
import { ParquetCache } from "./cache.ts";
import { contractTables, literal, scan, type Table, viewSql } from "./tables.ts";

export interface DuckDbEngineOptions {
  /** Where archived Parquet is mirrored (default `${REELTIME_DATA_DIR}/query-cache`). */
  cacheDir?: string;
}

function bindable(value: SqlValue, index: number): DuckDBValue {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw queryFailed(`parameter ${index + 1} is an invalid Date`);
    return timestampValue(BigInt(value.getTime()) * 1000n);
  }
  if (typeof value === "number" && !Number.isFinite(value))
    throw queryFailed(`parameter ${index + 1} is ${value}; pass a finite number or null`);
  if (value === null || ["string", "number", "boolean"].includes(typeof value)) return value;
  throw queryFailed(
    `parameter ${index + 1} has unsupported type ${typeof value}; use string, number, boolean, Date or null`,
  );
}

function typed(value: unknown, type: string): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return integer(value);
  if (type === "date" && value instanceof Date) return value.toISOString().slice(0, 10);
  return value;
}

function toResult(reader: DuckDBResultReader, started: number): QueryResult {
  const names = reader.deduplicatedColumnNames();
  const columns = reader.columnTypes().map((t, i) => ({ name: names[i]!, type: String(t).toLowerCase() }));
  const rows = reader.getRowsJS().map((row) => {
    const out: Record<string, unknown> = {};
    columns.forEach((c, i) => {
      out[c.name] = typed(row[i], c.type);
    });
    return out;
  });
  return { columns, rows, executionMs: performance.now() - started };
}

/**
 * DuckDB over the Parquet archive, offline: each refresh lists the archive through the Archive
 * port, mirrors new objects into a local cache and (re)creates one view per contract table.
 * The database can read only that cache (external access is locked to it).
 */
export function createDuckDbEngine(
  env: Pick<ConnectionEnv, "REELTIME_DATA_DIR">,
  archive: Archive,
  options: DuckDbEngineOptions = {},
): QueryEngine {
  const cache = new ParquetCache(options.cacheDir ?? resolve(env.REELTIME_DATA_DIR, "query-cache"), archive);
  const tables = contractTables();
  let instance: DuckDBInstance | undefined;
  let started: Promise<DuckDBInstance> | undefined;
  let refreshing: Promise<void> = Promise.resolve();

  async function open(): Promise<DuckDBInstance> {
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    try {
      await conn.run("SET TimeZone = 'UTC'");
      await conn.run(`SET allowed_directories = [${literal(`${cache.dir}/`)}]`);
      await conn.run("SET enable_external_access = false");
      await conn.run("SET lock_configuration = true");
    } finally {
      conn.closeSync();
    }
    try {
      await refreshWith(db);
    } catch (err) {
      db.closeSync();
      throw err;
    }
    instance = db;
    return db;
  }

  async function view(conn: DuckDBConnection, table: Table): Promise<void> {
    const { files } = await cache.sync(table);
    const present = new Set<string>();
    if (files.length > 0) {
      const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${scan(table, files)}`);
      for (const row of described.getRowObjectsJS()) present.add(String(row.column_name));
    }
    await conn.run(viewSql(table, files, present));
  }

  async function refreshWith(db: DuckDBInstance): Promise<void> {
    const conn = await db.connect();
    try {
      for (const table of tables) await view(conn, table);
    } catch (err) {
      if (err instanceof ReeltimeError) throw err;
      throw unavailable("query", `could not read the archive's Parquet files: ${String(err)}`, err);
    } finally {
      conn.closeSync();
    }
  }

  function start(): Promise<DuckDBInstance> {
    started ??= open().catch((err) => {
      started = undefined;
      throw err;
    });
    return started;
  }

  async function refresh(): Promise<void> {
    const db = await start();
    refreshing = refreshing.catch(() => undefined).then(() => refreshWith(db));
    return refreshing;
  }

  async function run(sql: string, params: SqlValue[] = [], opts: { signal?: AbortSignal } = {}): Promise<QueryResult> {
    const { signal } = opts;
    if (signal?.aborted) throw queryCancelled("the signal was already aborted", signal.reason);
    const values = params.map(bindable);
    const db = await start();
    const conn = await db.connect();
    const onAbort = () => conn.interrupt();
    signal?.addEventListener("abort", onAbort, { once: true });
    const t0 = performance.now();
    try {
      const stmt = await conn.prepare(sql);
      if (stmt.parameterCount !== values.length)
        throw queryFailed(
          `the SQL has ${stmt.parameterCount} "?" placeholders but ${values.length} parameters were given`,
        );
      if (values.length > 0) stmt.bind(values);
      if (signal?.aborted) throw queryCancelled("aborted before it ran", signal.reason);
      return toResult(await stmt.runAndReadAll(), t0);
    } catch (err) {
      if (err instanceof ReeltimeError) throw err;
      if (signal?.aborted) throw queryCancelled(`aborted after ${Math.round(performance.now() - t0)} ms`, err);
      throw queryFailed(err instanceof Error ? err.message : String(err), err);
    } finally {
      signal?.removeEventListener("abort", onAbort);
      conn.closeSync();
    }
  }

  async function health(): Promise<Health> {
    try {
      const db = await start();
      const conn = await db.connect();
      conn.closeSync();
      return { ok: true, driver: "duckdb" };
    } catch (err) {
      return { ok: false, driver: "duckdb", detail: err instanceof Error ? err.message : String(err) };
    }
  }

  async function shutdown(): Promise<void> {
    await refreshing.catch(() => undefined);
    instance?.closeSync();
    instance = undefined;
    started = undefined;
  }

  return {
    driver: "duckdb",
    start: async () => {
      await start();
    },
    health,
    shutdown,
    refresh,
    run,
  };
}
