import { queryCancelled, queryFailed } from "@reeltime/connectors/adapter";
import { type ReeltimeError, sleep, unavailable } from "@reeltime/runtime";
import { parseJson } from "./results.ts";

/** Where and as whom statements go: the coordinator's URL and the session's headers. */
export interface TrinoSession {
  url: string;
  user: string;
  catalog: string;
  schema: string;
  /** Source name Trino shows in its query list. */
  source?: string;
}

/** Statistics of a finished statement (the ones reeltime reports). */
export interface TrinoStats {
  state: string;
  /** Bytes read from storage (Athena's DataScannedInBytes). */
  physicalInputBytes: number;
  processedBytes: number;
  elapsedTimeMillis: number;
}

export interface TrinoStatementResult {
  id: string;
  columns: { name: string; type: string }[];
  /** Row arrays as Trino sent them (integers beyond 2^53 as bigint). */
  data: unknown[][];
  stats: TrinoStats;
  updateType?: string;
}

export type TrinoStatement = (
  sql: string,
  opts?: { prepared?: Record<string, string>; signal?: AbortSignal },
) => Promise<TrinoStatementResult>;

interface QueryResults {
  id: string;
  nextUri?: string;
  columns?: { name: string; type: string }[];
  data?: unknown[][];
  stats?: Partial<TrinoStats>;
  updateType?: string;
  error?: { message?: string; errorName?: string; errorType?: string; errorCode?: number };
}

const RETRY_STATUS = new Set([502, 503, 504]);

/** Trino's error as reeltime's: what the user wrote is REELTIME_ERR_QUERY, the rest retryable. */
function trinoError(id: string, e: NonNullable<QueryResults["error"]>): ReeltimeError {
  const text = `${e.errorName ?? "error"}: ${e.message ?? "no message"}`;
  if (e.errorName === "USER_CANCELED" || e.errorName === "ADMINISTRATIVELY_KILLED")
    return queryCancelled(`Trino query ${id} was cancelled: ${text}`);
  if (e.errorType === "USER_ERROR") return queryFailed(`Trino refused it: ${text}`);
  return unavailable("query", `Trino query ${id} failed: ${text}`);
}

/**
 * Runs one statement through Trino's client protocol (POST /v1/statement, then GET each nextUri
 * until there is none), with the session in X-Trino-* headers. `prepared` statements travel in
 * X-Trino-Prepared-Statement, as Trino's own clients send them, so `EXECUTE name USING …` needs no
 * state on the server. 502/503/504 are retried with backoff, as the protocol asks. When `signal`
 * fires, the query is cancelled with DELETE on its nextUri.
 */
export function trinoStatement(session: TrinoSession, fetchImpl: typeof fetch = fetch): TrinoStatement {
  const headers = (prepared?: Record<string, string>): Record<string, string> => ({
    "X-Trino-User": session.user,
    "X-Trino-Catalog": session.catalog,
    "X-Trino-Schema": session.schema,
    "X-Trino-Source": session.source ?? "reeltime",
    ...(prepared && Object.keys(prepared).length > 0
      ? {
          "X-Trino-Prepared-Statement": Object.entries(prepared)
            .map(([name, sql]) => `${encodeURIComponent(name)}=${encodeURIComponent(sql)}`)
            .join(","),
        }
      : {}),
  });

  async function request(url: string, init: RequestInit, signal?: AbortSignal): Promise<QueryResults> {
    let delay = 50;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetchImpl(url, init);
      } catch (err) {
        throw unavailable("query", `Trino at ${session.url} is unreachable: ${(err as Error).message}`, err);
      }
      const body = await res.text();
      if (res.ok) return parseJson(body) as QueryResults;
      if (RETRY_STATUS.has(res.status) && attempt < 8 && !signal?.aborted) {
        await sleep(delay, signal);
        delay = Math.min(delay * 2, 2000);
        continue;
      }
      const detail = `${res.status} ${body.slice(0, 300)}`;
      if (res.status >= 500 || res.status === 429)
        throw unavailable("query", `Trino at ${session.url} answered ${detail}`);
      throw queryFailed(`Trino at ${session.url} answered ${detail}`);
    }
  }

  return async (sql, opts = {}) => {
    const { signal } = opts;
    if (signal?.aborted) throw queryCancelled("the signal was already aborted", signal.reason);
    const h = headers(opts.prepared);
    let page = await request(`${session.url}/v1/statement`, { method: "POST", body: sql, headers: h }, signal);
    const id = page.id;
    let columns: { name: string; type: string }[] = [];
    const data: unknown[][] = [];
    for (;;) {
      if (page.columns) columns = page.columns;
      if (page.data) data.push(...page.data);
      if (page.error) throw trinoError(id, page.error);
      if (!page.nextUri) break;
      if (signal?.aborted) {
        await fetchImpl(page.nextUri, { method: "DELETE", headers: h }).catch(() => undefined);
        throw queryCancelled(`Trino query ${id} was cancelled`, signal.reason);
      }
      const next = page.nextUri;
      const cancel = new AbortController();
      const onAbort = () => cancel.abort();
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        page = await request(next, { method: "GET", headers: h, signal: cancel.signal }, signal);
      } catch (err) {
        if (!signal?.aborted) throw err;
        await fetchImpl(next, { method: "DELETE", headers: h }).catch(() => undefined);
        throw queryCancelled(`Trino query ${id} was cancelled`, signal.reason);
      } finally {
        signal?.removeEventListener("abort", onAbort);
      }
    }
    const s = page.stats ?? {};
    return {
      id,
      columns,
      data,
      stats: {
        state: s.state ?? "FINISHED",
        physicalInputBytes: s.physicalInputBytes ?? 0,
        processedBytes: s.processedBytes ?? 0,
        elapsedTimeMillis: s.elapsedTimeMillis ?? 0,
      },
      ...(page.updateType ? { updateType: page.updateType } : {}),
    };
  };
}
