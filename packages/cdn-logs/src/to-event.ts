import { type EventOf, parseUserAgent, SCHEMA_VERSION, truncateIp, validateEvent } from "@reeltime/events";
import { stableEventId } from "@reeltime/runtime";
import { type CmcdData, cmcdFromFields, cmcdFromHeaderBlock, cmcdFromQuery, toContractCmcd } from "./cmcd.ts";

export type CdnEvent = EventOf<"cdn.request">;
export type CdnSource = CdnEvent["cdn"]["source"];

/** A log line's values by field name (real-time names), `-` already turned into undefined. */
export type LineFields = Readonly<Record<string, string | undefined>>;

/** Why a line is not an event: a stable reason for its dead letter and a message naming the line. */
export interface LineProblem {
  reason: "cdn_field_count" | "cdn_no_header" | "cdn_bad_value" | "cdn_schema";
  message: string;
}

export interface EventContext {
  source: CdnSource;
  /** What makes the event id: the same seed and time always give the same id. */
  seed: string;
  /** The log file and line, for files. */
  logFile?: string;
  line?: number;
  appId?: string;
  /** 0-1: the real-time log configuration's sampling rate / 100. */
  sampleRate?: number;
  /** Bits of a client address kept, as ingest keeps them (REELTIME_IPV4_PREFIX / _IPV6_PREFIX). */
  ipv4Bits?: number;
  ipv6Bits?: number;
  receivedAt?: string;
}

const CACHE_RESULTS = new Set([
  "Hit",
  "RefreshHit",
  "OriginShieldHit",
  "Miss",
  "LimitExceeded",
  "CapacityExceeded",
  "Error",
  "Redirect",
]);
type CacheResult = NonNullable<CdnEvent["cdn"]["cache_result"]>;

const int = (v: string | undefined): number | undefined => {
  if (v === undefined || !/^\d{1,16}$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
};
/** Seconds with decimals (0.082) as whole milliseconds. */
const secondsToMs = (v: string | undefined): number | undefined => {
  if (v === undefined || !/^\d+(\.\d+)?$/.test(v)) return undefined;
  const ms = Math.round(Number(v) * 1000);
  return ms <= 2_147_483_647 ? ms : undefined;
};
const cut = (v: string | undefined, max: number) => (v === undefined || v === "" ? undefined : v.slice(0, max));
const result = (v: string | undefined) => (v !== undefined && CACHE_RESULTS.has(v) ? (v as CacheResult) : undefined);

/** When the edge finished the response: real-time `timestamp` (epoch seconds) or standard `date` + `time` (UTC). */
function timeOf(f: LineFields): number | undefined {
  const ts = f.timestamp;
  if (ts !== undefined) {
    if (!/^\d{9,11}(\.\d{1,6})?$/.test(ts)) return undefined;
    return Math.round(Number(ts) * 1000);
  }
  if (f.date === undefined || f.time === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(f.date) || !/^\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(f.time)) return undefined;
  const ms = Date.parse(`${f.date}T${f.time}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * One log line as a `cdn.request` event, or why it is not one. The path is the URL-decoded
 * `cs-uri-stem` (the real-time text of 2023 says it may hold the query: it is split off); the
 * query is never stored, only read for CMCD. `sid`/`cid` come from the cmcd-* fields when
 * configured, else the `CMCD=` query, else the CMCD-* headers of `cs-headers`.
 */
export function toCdnEvent(f: LineFields, ctx: EventContext): { event: CdnEvent } | { problem: LineProblem } {
  const at = timeOf(f);
  if (at === undefined)
    return bad(
      `no valid time (${f.timestamp !== undefined ? `timestamp "${f.timestamp}"` : `date "${f.date}" time "${f.time}"`})`,
    );
  const status = f["sc-status"] === undefined ? undefined : int(f["sc-status"]);
  if (status === undefined || status > 999) return bad(`no valid sc-status ("${f["sc-status"] ?? ""}")`);
  const stemRaw = f["cs-uri-stem"];
  if (stemRaw === undefined) return bad("no cs-uri-stem");
  const q = stemRaw.indexOf("?");
  const stem = q >= 0 ? stemRaw.slice(0, q) : stemRaw;
  const query = f["cs-uri-query"] ?? (q >= 0 ? stemRaw.slice(q + 1) : undefined);

  const cmcd: CmcdData = { ...cmcdFromHeaderBlock(f["cs-headers"]), ...cmcdFromQuery(query), ...cmcdFromFields(f) };
  const sid = typeof cmcd.sid === "string" && cmcd.sid !== "" ? cmcd.sid.slice(0, 64) : undefined;
  const cid = typeof cmcd.cid === "string" && cmcd.cid !== "" ? cmcd.cid.slice(0, 128) : undefined;

  // c-ip, never x-forwarded-for: that one is whatever header the viewer sent (any client can pick it).
  const ip = truncateIp(f["c-ip"], ctx.ipv4Bits ?? 24, ctx.ipv6Bits ?? 48);
  const country = f["c-country"];
  const ua = parseUserAgent(cut(f["cs-user-agent"], 2048));
  const c: CdnEvent["cdn"] = {
    source: ctx.source,
    uri: stem.slice(0, 2048),
    status,
  };
  const set = <K extends keyof CdnEvent["cdn"]>(k: K, v: CdnEvent["cdn"][K] | undefined) => {
    if (v !== undefined) c[k] = v;
  };
  set("pop", cut(f["x-edge-location"], 256));
  set("request_id", cut(f["x-edge-request-id"], 256));
  set("host", cut(f["cs-host"] ?? f["x-host-header"], 256));
  set("method", cut(f["cs-method"], 16));
  if (query !== undefined && query !== "") c.query_present = true;
  set("bytes", int(f["sc-bytes"]));
  set("request_bytes", int(f["cs-bytes"]));
  set("ttfb_ms", secondsToMs(f["time-to-first-byte"]));
  set("total_ms", secondsToMs(f["time-taken"]));
  set("cache_result", result(f["x-edge-result-type"]));
  set("response_result", result(f["x-edge-response-result-type"]));
  set("detailed_result", cut(f["x-edge-detailed-result-type"], 256));
  set("protocol", cut(f["cs-protocol"], 16));
  set("protocol_version", cut(f["cs-protocol-version"], 16));
  set("range_start", int(f["sc-range-start"]));
  set("range_end", int(f["sc-range-end"]));
  set("content_type", cut(f["sc-content-type"], 256));
  set("content_length", int(f["sc-content-len"]));
  set("sid", sid);
  set("cid", cid);
  set("log_file", ctx.logFile?.slice(0, 2048));
  set("line", ctx.line);

  const event: CdnEvent = {
    event_id: stableEventId(ctx.seed, new Date(at)),
    event_type: "cdn.request",
    schema_version: SCHEMA_VERSION,
    client_ts: new Date(at).toISOString(),
    seq: ctx.line ?? 0,
    ...(ctx.appId ? { app_id: ctx.appId } : {}),
    ...(ip || (country && /^[A-Z]{2}$/.test(country))
      ? { client: { ...(ip ? { ip } : {}), ...(country && /^[A-Z]{2}$/.test(country) ? { country } : {}) } }
      : {}),
    ...(ua ? { user_agent: ua } : {}),
    ...(ctx.sampleRate !== undefined && ctx.sampleRate < 1 ? { sample_rate: ctx.sampleRate } : {}),
    cdn: c,
  };
  // The log's own time is a fact of the CDN, not a client clock: hours-late standard logs and
  // imports of last month's files are valid, so the contract's age window is not applied.
  const opts = { now: new Date(at) };
  const block = toContractCmcd(cmcd);
  if (block) {
    const withCmcd = { ...event, cmcd: block } as CdnEvent;
    if (validateEvent(withCmcd, 0, opts).ok) return { event: stamped(withCmcd, ctx) };
  }
  const r = validateEvent(event, 0, opts);
  if (!r.ok) {
    const first = r.errors[0];
    return {
      problem: { reason: "cdn_schema", message: `not a valid cdn.request: ${first?.pointer} ${first?.message}` },
    };
  }
  return { event: stamped(event, ctx) };
}

/** received_at, the time reeltime read the line, set after validation (it may be days after the request). */
const stamped = (e: CdnEvent, ctx: EventContext): CdnEvent => ({
  ...e,
  received_at: ctx.receivedAt ?? new Date().toISOString(),
});

function bad(message: string): { problem: LineProblem } {
  return { problem: { reason: "cdn_bad_value", message } };
}
