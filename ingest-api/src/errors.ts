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
