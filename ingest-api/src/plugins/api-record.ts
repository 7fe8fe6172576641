import type { Bus, RecordFormat } from "@reeltime/connectors";
import type { EventOf } from "@reeltime/events";
import { SCHEMA_VERSION } from "@reeltime/events";
import type { ErrorCode } from "@reeltime/runtime";
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { v7 as uuidv7 } from "uuid";
import { publishEvents } from "../publish.ts";

/** What a route learnt about the call, for its api.request record. */
export interface CallInfo {
  app: string;
  keyId?: string;
  accepted: number;
  rejected: number;
  /** The catalog code the call ended with, if it failed. */
  errorCode?: ErrorCode;
}

declare module "fastify" {
  interface FastifyRequest {
    reeltime: CallInfo | null;
  }
}

const RECORDED = new Set(["/v1/events", "/v1/cmcd", "/v1/events/last", "/v1/search"]);

/** Sets what the api.request record of this call says. */
export function noteCall(req: FastifyRequest, info: CallInfo): void {
  req.reeltime = info;
}

export interface ApiRecorderOptions {
  /** Where the records go (topic reeltime.api). */
  bus: Bus;
  /** Longest a flush waits for the bus (`REELTIME_PUBLISH_TIMEOUT_MS`). */
  publishTimeoutMs: number;
  /** How the records are written (`REELTIME_BUS_RECORD_FORMAT`; default batch-v1). */
  recordFormat?: RecordFormat;
  /** Counts the records that could not be published. */
  errors: { inc(records: number): void };
}

async function recordCalls(app: FastifyInstance, opts: ApiRecorderOptions): Promise<void> {
  app.decorateRequest("reeltime", null);
  let buffer: EventOf<"api.request">[] = [];
  let seq = 0;
  const flush = async () => {
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    try {
      await publishEvents(opts.bus, batch, opts.publishTimeoutMs, opts.recordFormat);
    } catch (err) {
      opts.errors.inc(batch.length);
      app.log.warn({ err: { message: (err as Error).message }, records: batch.length }, "api records not published");
    }
  };
  const timer = setInterval(() => void flush(), 1000);
  timer.unref();

  app.addHook("onResponse", async (req, reply) => {
    const route = req.routeOptions.url;
    if (!route || !RECORDED.has(route)) return;
    const info = req.reeltime ?? { app: "unknown", accepted: 0, rejected: 0 };
    const now = new Date().toISOString();
    buffer.push({
      event_id: uuidv7(),
      event_type: "api.request",
      schema_version: SCHEMA_VERSION,
      client_ts: now,
      received_at: now,
      seq: seq++ % 2_147_483_647,
      app_id: info.app,
      api: {
        route,
        method: req.method,
        status: reply.statusCode,
        latency_ms: Math.round(reply.elapsedTime * 100) / 100,
        request_bytes: Number(req.headers["content-length"] ?? 0) || 0,
        accepted: info.accepted,
        rejected: info.rejected,
        ...(info.errorCode ? { error_code: info.errorCode } : {}),
        ...(info.keyId ? { key_id: info.keyId } : {}),
      },
    });
    if (buffer.length >= 200) void flush();
  });

  app.addHook("onClose", async () => {
    clearInterval(timer);
    await flush();
  });
}

/**
 * Every API call becomes an `api.request` event on the bus (topic reeltime.api), batched
 * and flushed each second and on close, so operators can look up the last N calls per app.
 * Not encapsulated: its `request.reeltime` decoration and hooks apply to the whole app.
 */
export const apiRecorder = fp(recordCalls, { name: "reeltime-api-recorder", fastify: "5.x" });
