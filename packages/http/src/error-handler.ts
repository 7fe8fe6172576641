import { ERRORS, type ErrorSpec, ReeltimeError } from "@reeltime/runtime";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { sendError } from "./errors.ts";

/** Seconds a client is told to wait (Retry-After) before retrying a retryable 503. */
const RETRY_AFTER_SECONDS = 5;

type ThrownError = Error & Partial<Pick<FastifyError, "statusCode" | "code">>;

/**
 * The API's one error handler (`app.setErrorHandler(errorHandler(...))`): every error a route,
 * hook or parser throws is answered in the `{error:{code,message}}` shape.
 * - A `ReeltimeError` is answered from the error table: its code, the table's status, and
 *   `Retry-After` when a 503 is retryable. A 4xx carries the error's own message (it says what
 *   to change); a 5xx carries the table's one-line meaning and the detail is logged, so store
 *   URLs and internals never reach a client. A store error that is not an outage is therefore
 *   not a 503.
 * - Fastify's own errors (body limit, content type, empty body, query validation) and zlib's
 *   get their REELTIME_ERR_* code here.
 * - Anything else is a logged 500.
 */
export function errorHandler(opts: { bodyLimitBytes: number }) {
  return (err: ThrownError, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof ReeltimeError) return sendReeltimeError(err, req, reply);
    const code = err.code ?? "";
    if (code === "FST_ERR_CTP_BODY_TOO_LARGE")
      return sendError(
        reply,
        "REELTIME_ERR_TOO_LARGE",
        `the body exceeds ${opts.bodyLimitBytes} bytes (after decompression); send smaller batches`,
      );
    if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
      return sendError(reply, "REELTIME_ERR_MEDIA_TYPE", "send Content-Type application/json or text/plain");
    if (code === "FST_ERR_CTP_EMPTY_JSON_BODY" || code === "FST_ERR_CTP_EMPTY_BODY")
      return sendError(reply, "REELTIME_ERR_BODY", "the body is empty; send a batch of events");
    if (code.startsWith("Z_") || code === "ERR_STREAM_PREMATURE_CLOSE")
      return sendError(reply, "REELTIME_ERR_BODY", "the compressed body could not be decompressed");
    if (code === "FST_ERR_VALIDATION") return sendError(reply, "REELTIME_ERR_QUERY", err.message);
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
      return sendError(reply, "REELTIME_ERR_BODY", err.message);
    req.log.error({ err: { message: err.message, code, stack: err.stack } }, "unexpected error");
    return sendError(reply, "REELTIME_ERR_INTERNAL", ERRORS.REELTIME_ERR_INTERNAL.meaning);
  };
}

function sendReeltimeError(err: ReeltimeError, req: FastifyRequest, reply: FastifyReply) {
  const spec: ErrorSpec | undefined = ERRORS[err.code];
  if (spec === undefined) {
    req.log.error({ err: { message: err.message, code: err.code, stack: err.stack } }, "error of an unknown code");
    return sendError(reply, "REELTIME_ERR_INTERNAL", ERRORS.REELTIME_ERR_INTERNAL.meaning);
  }
  if (spec.status < 500) return sendError(reply, err.code, err.message);
  const logged = { err: { message: err.message, code: err.code, status: err.status } };
  if (spec.retryable) req.log.warn(logged, "a backing service is unavailable");
  else req.log.error({ err: { ...logged.err, stack: err.stack } }, "request failed");
  return sendError(
    reply,
    err.code,
    spec.meaning,
    spec.retryable && spec.status === 503 ? { retryAfterSeconds: RETRY_AFTER_SECONDS } : {},
  );
}
