import ipaddr from "ipaddr.js";
import { UAParser } from "ua-parser-js";

/** Keeps the first `v4Bits`/`v6Bits` of an address and zeroes the rest (IPv4-mapped IPv6 counts as IPv4). */
export function truncateIp(raw: string | undefined, v4Bits: number, v6Bits: number): string | undefined {
  if (!raw || !ipaddr.isValid(raw)) return undefined;
  let addr = ipaddr.parse(raw);
  if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  const bytes = addr.toByteArray();
  let keep = addr.kind() === "ipv4" ? v4Bits : v6Bits;
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, keep));
    bytes[i] = bits === 0 ? 0 : bytes[i]! & (0xff << (8 - bits)) & 0xff;
    keep -= 8;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

export interface ParsedUserAgent {
  original: string;
  name?: string;
  version?: string;
  os_name?: string;
  os_version?: string;
  device_type?: string;
}

const uaCache = new Map<string, ParsedUserAgent>();

/** Parses a User-Agent (cached: a handful of distinct agents send most traffic). */
export function parseUserAgent(raw: string | undefined): ParsedUserAgent | undefined {
  if (!raw) return undefined;
  const original = raw.slice(0, 2048);
  const hit = uaCache.get(original);
  if (hit) return hit;
  const r = new UAParser(original).getResult();
  const parsed: ParsedUserAgent = { original };
  if (r.browser.name) parsed.name = r.browser.name.slice(0, 256);
  if (r.browser.version) parsed.version = r.browser.version.slice(0, 256);
  if (r.os.name) parsed.os_name = r.os.name.slice(0, 256);
  if (r.os.version) parsed.os_version = r.os.version.slice(0, 256);
  parsed.device_type = (r.device.type ?? "desktop").slice(0, 256);
  if (uaCache.size > 5000) uaCache.clear();
  uaCache.set(original, parsed);
  return parsed;
}

/** What the server knows about the request that brought an event: the only source of its stamps. */
export interface RequestContext {
  /** The app of the write key that sent it. */
  appId: string;
  receivedAt: string;
  /** Already truncated. */
  ip?: string;
  country?: string;
  userAgent?: ParsedUserAgent;
}

/**
 * The request facts a dead letter keeps beside `app_id` and `received_at`, so that a replay
 * stamps the event exactly as ingest would have (see {@link contextFromRecord}).
 */
export interface RequestRecord {
  ip?: string;
  country?: string;
  /** The User-Agent header as sent (cut to 2,048 characters). */
  user_agent?: string;
}

/** The serialisable part of a request context, for a dead letter. */
export function requestRecord(ctx: RequestContext): RequestRecord {
  return {
    ...(ctx.ip ? { ip: ctx.ip } : {}),
    ...(ctx.country ? { country: ctx.country } : {}),
    ...(ctx.userAgent ? { user_agent: ctx.userAgent.original } : {}),
  };
}

const str = (v: unknown, max: number) => (typeof v === "string" && v !== "" ? v.slice(0, max) : undefined);

/**
 * The request context a dead letter recorded at ingest, rebuilt for replay. Values are checked
 * again (a letter is data from the bus): an IP that is not one is dropped, a country must be
 * two capital letters, the agent is parsed as ingest parses it.
 */
export function contextFromRecord(appId: string, receivedAt: string, rec: unknown): RequestContext {
  const r = (rec !== null && typeof rec === "object" ? rec : {}) as Record<string, unknown>;
  const ip = str(r.ip, 64);
  const country = str(r.country, 2);
  const ua = parseUserAgent(str(r.user_agent, 2048));
  return {
    appId,
    receivedAt,
    ...(ip && ipaddr.isValid(ip) ? { ip } : {}),
    ...(country && /^[A-Z]{2}$/.test(country) ? { country } : {}),
    ...(ua ? { userAgent: ua } : {}),
  };
}

/** Fields only the server sets: a client's values are dropped before validation, never trusted. */
export const SERVER_FIELDS = ["received_at", "client"] as const;

/**
 * A client event without the fields only the server sets (anything that is not an object as is).
 * An event that holds none of them is returned as it is, not copied (ingest's hot path).
 */
export function withoutServerFields(event: unknown): unknown {
  if (event === null || typeof event !== "object" || Array.isArray(event)) return event;
  if (!SERVER_FIELDS.some((f) => Object.hasOwn(event, f))) return event;
  const copy = { ...(event as Record<string, unknown>) };
  for (const f of SERVER_FIELDS) delete copy[f];
  return copy;
}

/**
 * Server-side fields: `received_at` and `app_id` are always the server's (never trusted from
 * the client), the client block holds only the truncated IP and the CDN's country. Returns a
 * stamped copy (`reeltime replay`); ingest stamps its own parse with {@link enrichInPlace}, which
 * this calls, so both stamp through one function.
 */
export function enrich<E extends Record<string, unknown>>(event: E, ctx: RequestContext): E {
  return enrichInPlace({ ...event }, ctx);
}

/**
 * {@link enrich} on the event itself, for a caller that owns it (ingest's freshly parsed body):
 * the same fields in the same order, without copying the event.
 */
export function enrichInPlace<E extends Record<string, unknown>>(event: E, ctx: RequestContext): E {
  const out = event as Record<string, unknown>;
  out.app_id = ctx.appId;
  out.received_at = ctx.receivedAt;
  const client: Record<string, string> = {};
  if (ctx.ip) client.ip = ctx.ip;
  if (ctx.country) client.country = ctx.country;
  if (Object.keys(client).length > 0) out.client = client;
  else delete out.client;
  const sentUa = (event.user_agent as { original?: string } | undefined)?.original;
  const ua = typeof sentUa === "string" && sentUa ? parseUserAgent(sentUa) : ctx.userAgent;
  if (ua) out.user_agent = ua;
  else delete out.user_agent;
  return out as E;
}
