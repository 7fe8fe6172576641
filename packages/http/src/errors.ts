import { STATUS_CODES } from "node:http";
import { ERRORS, type ErrorCode } from "@reeltime/runtime";
import type { FastifyReply } from "fastify";

/** The body of every error answer: `{error:{code,message}}`, with details where a batch has them. */
export interface ApiErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** Answers with a code: the HTTP status comes from the error table (@reeltime/runtime ERRORS). */
export function sendError(
  reply: FastifyReply,
  code: ErrorCode,
  message: string,
  extra: { details?: unknown; retryAfterSeconds?: number } = {},
) {
  if (extra.retryAfterSeconds !== undefined) reply.header("retry-after", String(extra.retryAfterSeconds));
  const body: ApiErrorBody = {
    error: { code, message, ...(extra.details === undefined ? {} : { details: extra.details }) },
  };
  return reply.code(ERRORS[code].status).send(body);
}

/**
 * A request Node's HTTP parser refused before any route ran (oversized headers, a malformed
 * request line): answered on the raw socket, in the same `{error:{code,message}}` shape.
 */
export function clientErrorResponse(err: Error & { code?: string }): string | undefined {
  if (err.code === "ERR_HTTP_REQUEST_TIMEOUT" || err.code === "ECONNRESET" || err.code === "EPIPE") return undefined;
  const [code, message]: [ErrorCode, string] =
    err.code === "HPE_HEADER_OVERFLOW"
      ? [
          "REELTIME_ERR_HEADERS_TOO_LARGE",
          "the request headers exceed the server's limit (16 KB in total); send fewer or shorter headers and cookies",
        ]
      : ["REELTIME_ERR_BODY", "the request is not valid HTTP/1.1"];
  const status = ERRORS[code].status;
  const body = JSON.stringify({ error: { code, message } });
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}
