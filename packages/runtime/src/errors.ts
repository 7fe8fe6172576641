/**
 * An error with a stable code (`REELTIME_ERR_*`), an HTTP status where one applies, and
 * whether retrying later can succeed. Messages say what to change.
 */
export class ReeltimeError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly status: number | undefined;
  readonly retryable: boolean;
  constructor(
    code: string,
    message: string,
    exitCode = 1,
    opts: { status?: number; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "ReeltimeError";
    this.code = code;
    this.exitCode = exitCode;
    this.status = opts.status;
    this.retryable = opts.retryable ?? false;
  }
}

/** A backing service (bus, search, archive, query engine) is unreachable or refused: retry later. */
export function unavailable(service: string, detail: string, cause?: unknown): ReeltimeError {
  return new ReeltimeError(
    `REELTIME_ERR_${service.toUpperCase()}_UNAVAILABLE`,
    `${service} unavailable: ${detail}`,
    1,
    {
      status: 503,
      retryable: true,
      cause,
    },
  );
}
