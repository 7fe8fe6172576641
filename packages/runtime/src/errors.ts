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
      1,
      { cause: err },
    );
  if (code === "EACCES")
    return new ReeltimeError(
      "REELTIME_ERR_PORT_DENIED",
      `port ${where.port} on ${where.host} needs privileges this process lacks; choose a port above 1023 with ${where.setting}`,
      1,
      { cause: err },
    );
  if (code === "EADDRNOTAVAIL")
    return new ReeltimeError(
      "REELTIME_ERR_HOST_UNAVAILABLE",
      `address ${where.host} is not an address of this machine; choose another host`,
      1,
      { cause: err },
    );
  return err;
}
