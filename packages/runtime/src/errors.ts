import { ERRORS, type ErrorCode, type ErrorSpec, type UpstreamCode } from "./error-codes.ts";

/** What any error may carry besides its code and message. */
export interface ReeltimeErrorOptions {
  cause?: unknown;
}

/** What an error of a relaying code (`upstream: true` in the table) may carry as well. */
export interface UpstreamErrorOptions extends ReeltimeErrorOptions {
  /** The status the remote service answered (becomes `status`). */
  upstreamStatus?: number;
  /** Whether the remote refusal is passing (a 5xx, a network failure); the table's value otherwise. */
  retryable?: boolean;
}

/**
 * An error with a stable code (`REELTIME_ERR_*`, a key of {@link ERRORS}). Its HTTP status and
 * whether retrying later can succeed come from that table; messages say what to change.
 */
export class ReeltimeError extends Error {
  readonly code: ErrorCode;
  /** The table's status, or for a relaying code the remote service's own status when it gave one. */
  readonly status: number;
  readonly retryable: boolean;
  constructor(code: UpstreamCode, message: string, opts?: UpstreamErrorOptions);
  constructor(code: ErrorCode, message: string, opts?: ReeltimeErrorOptions);
  constructor(code: ErrorCode, message: string, opts: UpstreamErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "ReeltimeError";
    this.code = code;
    // Types keep other codes out; one cast past them is answered as an internal error, not a crash here.
    const spec: ErrorSpec = ERRORS[code] ?? ERRORS.REELTIME_ERR_INTERNAL;
    this.status = opts.upstreamStatus ?? spec.status;
    this.retryable = opts.retryable ?? spec.retryable;
  }
}

/** The code of each backing service's outage: literal codes, never assembled at run time. */
const UNAVAILABLE = {
  bus: "REELTIME_ERR_BUS_UNAVAILABLE",
  search: "REELTIME_ERR_SEARCH_UNAVAILABLE",
  archive: "REELTIME_ERR_ARCHIVE_UNAVAILABLE",
  query: "REELTIME_ERR_QUERY_UNAVAILABLE",
  database: "REELTIME_ERR_DATABASE_UNAVAILABLE",
  analysis: "REELTIME_ERR_ANALYSIS_UNAVAILABLE",
} as const satisfies Record<string, ErrorCode>;

/** A backing service (bus, search, archive, query engine, database, content analysis) is unreachable or refused: retry later. */
export function unavailable(service: keyof typeof UNAVAILABLE, detail: string, cause?: unknown): ReeltimeError {
  return new ReeltimeError(UNAVAILABLE[service], `${service} unavailable: ${detail}`, { cause });
}

/**
 * The error for a listening socket whose port is taken: one line that names the port and the
 * setting that chooses another. Anything else passes through unchanged.
 */
export function listenError(err: unknown, where: { host: string; port: number; setting: string }): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "EADDRINUSE")
    return new ReeltimeError(
      "REELTIME_ERR_PORT_TAKEN",
      `port ${where.port} on ${where.host} is already in use; stop what holds it or choose another with ${where.setting}`,
      { cause: err },
    );
  if (code === "EACCES")
    return new ReeltimeError(
      "REELTIME_ERR_PORT_DENIED",
      `port ${where.port} on ${where.host} needs privileges this process lacks; choose a port above 1023 with ${where.setting}`,
      { cause: err },
    );
  if (code === "EADDRNOTAVAIL")
    return new ReeltimeError(
      "REELTIME_ERR_HOST_UNAVAILABLE",
      `address ${where.host} is not an address of this machine; choose another host`,
      { cause: err },
    );
  return err;
}
