import type { Archive, QueryEngine, QueryResult } from "@reeltime/connectors";
import { FAMILIES, RECORDS, type RecordName, tableName, trinoStatements } from "@reeltime/events";
import type { ConnectionEnv } from "@reeltime/runtime";
import { visibleArchive } from "./compact/visible.ts";
import { athenaStatements } from "./ddl.ts";

export type EngineName = "duckdb" | "athena" | "trino";

export interface Session {
  engine: QueryEngine;
  /** The archive (DuckDB reads it; Athena and Trino read the bucket themselves). */
  archive: Archive;
  close(): Promise<void>;
}

/**
 * A query engine chosen by name (default: REELTIME_QUERY). DuckDB reads the archive through
 * `visibleArchive`, so files a compaction superseded are never read next to the merged file.
 */
export async function openSession(env: ConnectionEnv, engine?: EngineName): Promise<Session> {
  const { createArchive, createQueryEngine } = await import("@reeltime/connectors");
  const chosen: ConnectionEnv = { ...env, REELTIME_QUERY: engine ?? env.REELTIME_QUERY };
  const archive = await createArchive(chosen);
  const q = await createQueryEngine(visibleArchive(archive), chosen);
  return {
    engine: q,
    archive,
    async close() {
      await q.shutdown();
      await archive.shutdown();
    },
  };
}

/** Every table name of the contract, events first. */
export const TABLES = [
  ...FAMILIES.map((f) => tableName.family(f)),
  ...(Object.keys(RECORDS) as RecordName[]).map((r) => tableName.record(r)),
];

/**
 * Applies the table definitions. Athena: the database, then each table's DDL, one
 * StartQueryExecution each (they return when done). Trino: the schema (`database`), then each
 * table of the contract's Trino DDL (`dtRange`: the projected days, default Athena's). DuckDB:
 * its views over the archive's Parquet are (re)built by a refresh; the result lists each table's
 * row count.
 */
export async function applyDdl(
  engine: QueryEngine,
  params: { database: string; bucket: string; dtRange?: readonly [string, string] },
  onStep: (what: string, result?: QueryResult) => void = () => undefined,
): Promise<void> {
  if (engine.driver === "trino") {
    for (const sql of trinoStatements({
      schema: params.database,
      bucket: params.bucket,
      ...(params.dtRange ? { dtRange: params.dtRange } : {}),
    })) {
      const name = /EXISTS "([^"]+)"(?:\."([^"]+)")?/.exec(sql);
      onStep(name?.[2] ?? name?.[1] ?? "?", await engine.run(sql));
    }
    return;
  }
  if (engine.driver === "athena") {
    for (const sql of athenaStatements(params)) {
      const name = /`([^`]+)`\s*\(/.exec(sql)?.[1] ?? /DATABASE IF NOT EXISTS `([^`]+)`/.exec(sql)?.[1] ?? "?";
      onStep(name, await engine.run(sql));
    }
    return;
  }
  await engine.refresh();
  for (const t of TABLES) onStep(t, await engine.run(`SELECT count(*) AS row_count FROM "${t}"`));
}
