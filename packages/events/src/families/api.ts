import { Type } from "@sinclair/typebox";
import { AppId, Bytes, Count, Obj } from "../common.ts";
import { defineEvent } from "../envelope.ts";

export const ApiEvents = {
  /** One record per ingest API call, so operators can look up the last N calls per app. */
  "api.request": defineEvent("api.request", "one ingest API call", {
    app_id: AppId,
    api: Obj({
      route: Type.String({ maxLength: 128 }),
      method: Type.String({ maxLength: 10 }),
      status: Type.Integer({ minimum: 100, maximum: 599 }),
      latency_ms: Type.Number({ minimum: 0, maximum: 3_600_000 }),
      request_bytes: Bytes(),
      response_bytes: Type.Optional(Bytes()),
      accepted: Count(),
      rejected: Count(),
      error_code: Type.Optional(Type.String({ maxLength: 64 })),
      key_id: Type.Optional(Type.String({ maxLength: 64, description: "the write key's public id, never the key" })),
    }),
  }),
} as const;
