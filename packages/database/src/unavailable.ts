import { ReeltimeError, unavailable } from "@reeltime/runtime";

/** Socket errors of a server that is down, unreachable or went away. */
const NETWORK = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);

/**
 * SQLSTATEs that mean "not now" rather than "not this statement": class 08 (connection),
 * shutdown and start-up (57P01–57P03), too many connections (53300).
 */
function passing(sqlState: string): boolean {
  return sqlState.startsWith("08") || ["57P01", "57P02", "57P03", "53300"].includes(sqlState);
}

/**
 * An outage of the server becomes REELTIME_ERR_DATABASE_UNAVAILABLE (503, retryable), so a
 * processor retries instead of dead-lettering; anything else (a SQL error, a constraint) passes
 * through unchanged with its SQLSTATE in `code`.
 */
export function classify(err: unknown): unknown {
  if (err instanceof ReeltimeError) return err;
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === "string" ? e.code : "";
  const message = typeof e?.message === "string" ? e.message : String(err);
  if (
    NETWORK.has(code) ||
    passing(code) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended/i.test(
      message,
    )
  )
    return unavailable("database", `${message}; retry when PostgreSQL is back (REELTIME_PG_URL)`, err);
  return err;
}
