import type { Pool, PoolClient, QueryResult } from "pg";
import type { Database } from "./database.ts";
import { classify } from "./unavailable.ts";

const INT8 = 20;

function answer<T>(r: QueryResult | QueryResult[]): { rows: T[]; rowCount: number } {
  // Several statements without parameters answer with one result each: the last one counts.
  const last = Array.isArray(r) ? r.at(-1) : r;
  const rows = (last?.rows ?? []) as T[];
  return { rows, rowCount: last?.rowCount ?? rows.length };
}

async function run<T>(on: Pool | PoolClient, sql: string, params?: readonly unknown[]) {
  try {
    const r = params === undefined ? await on.query(sql) : await on.query(sql, params as unknown[]);
    return answer<T>(r as QueryResult | QueryResult[]);
  } catch (err) {
    throw classify(err);
  }
}

/**
 * A pool of connections to the PostgreSQL server at `url`. A server that is down or goes away
 * surfaces as REELTIME_ERR_DATABASE_UNAVAILABLE (retryable), never as a crash.
 */
export async function openPostgres(url: string): Promise<Database> {
  const pg = (await import("pg")).default;
  const types = {
    // bigint as a number, as PGlite answers it, so both kinds give the same rows.
    getTypeParser: ((oid: number, format?: "text" | "binary") =>
      oid === INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 5000, max: 10, types });
  // An idle client whose server went away: the next query reports it; the process must not crash.
  pool.on("error", () => {});
  let closed = false;
  return {
    kind: "postgres",
    query: (sql, params) => run(pool, sql, params),
    async transaction(fn) {
      let client: PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw classify(err);
      }
      // While a client is checked out the pool does not listen to it, and a server that ends the
      // connection (a fast shutdown, a failover, pg_terminate_backend) makes the client emit
      // 'error' even after its running query failed with it: with no listener that is an uncaught
      // exception and the whole process dies. The error is kept here instead; the query in
      // flight reports it, and the client is destroyed on release rather than reused.
      let broken: unknown;
      const onError = (err: Error) => {
        broken ??= err;
      };
      client.on("error", onError);
      try {
        await run(client, "BEGIN");
        const out = await fn({ query: (sql, params) => run(client, sql, params) });
        await run(client, "COMMIT");
        return out;
      } catch (err) {
        await client.query("ROLLBACK").catch((e: unknown) => {
          broken = e;
        });
        throw classify(err);
      } finally {
        client.removeListener("error", onError);
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
