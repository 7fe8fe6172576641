import type { FastifyReply } from "fastify";

/** Stable error codes of the HTTP API, with their status. */
export const API_ERRORS = {
  REELTIME_ERR_AUTH: 401,
  REELTIME_ERR_FORBIDDEN: 403,
  REELTIME_ERR_CORS: 403,
  REELTIME_ERR_BODY: 400,
  REELTIME_ERR_JSON: 400,
  REELTIME_ERR_SCHEMA: 400,
  REELTIME_ERR_QUERY: 400,
  REELTIME_ERR_TOO_LARGE: 413,
  REELTIME_ERR_HEADERS_TOO_LARGE: 431,
  REELTIME_ERR_MEDIA_TYPE: 415,
  REELTIME_ERR_RATE_LIMITED: 429,
  REELTIME_ERR_BUS_UNAVAILABLE: 503,
  REELTIME_ERR_SEARCH_UNAVAILABLE: 503,
  REELTIME_ERR_OVERLOADED: 503,
  REELTIME_ERR_INTERNAL: 500,
} as const;
export type ApiErrorCode = keyof typeof API_ERRORS;

export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; details?: unknown };
}

export function sendError(
  reply: FastifyReply,
  code: ApiErrorCode,
  message: string,
  extra: { details?: unknown; retryAfterSeconds?: number } = {},
) {
  if (extra.retryAfterSeconds !== undefined) reply.header("retry-after", String(extra.retryAfterSeconds));
  const body: ApiErrorBody = {
    error: { code, message, ...(extra.details === undefined ? {} : { details: extra.details }) },
  };
  return reply.code(API_ERRORS[code]).send(body);
}

/**
 * A request Node's HTTP parser refused before any route ran (oversized headers, a malformed
 * request line): answered on the raw socket, in the same `{error:{code,message}}` shape.
 */
export function clientErrorResponse(err: Error & { code?: string }): string | undefined {
  const [status, reason, code, message] =
    err.code === "HPE_HEADER_OVERFLOW"
      ? [
          431,
          "Request Header Fields Too Large",
          "REELTIME_ERR_HEADERS_TOO_LARGE",
          "the request headers exceed the server's limit (16 KB in total); send fewer or shorter headers and cookies",
        ]
      : err.code === "ERR_HTTP_REQUEST_TIMEOUT" || err.code === "ECONNRESET" || err.code === "EPIPE"
        ? []
        : [400, "Bad Request", "REELTIME_ERR_BODY", "the request is not valid HTTP/1.1"];
  if (status === undefined) return undefined;
  const body = JSON.stringify({ error: { code, message } });
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}
