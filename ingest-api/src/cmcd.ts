import { createHash } from "node:crypto";
import { CMCD_KEYS, type EventOf, type Issue, SCHEMA_VERSION } from "@reeltime/events";
import {
  CMCD_V2,
  type CmcdCustomKey,
  CmcdReportingMode,
  decodeCmcd,
  isCmcdCustomKey,
  validateCmcd,
} from "@svta/cml-cmcd";

type Json = string | number | boolean;
type Value = Json | Json[];

/** One report of a body, decoded: its data, or why it is refused. Bad reports refuse only themselves. */
export type DecodedReport =
  | { index: number; ok: true; data: Record<string, unknown>; raw: unknown }
  | { index: number; ok: false; errors: Issue[]; raw: unknown };

/** The reports of one body: a list (even of one), or why the body as a whole is not CMCD. */
export type DecodedBody = { ok: true; reports: DecodedReport[] } | { ok: false; message: string };

const RESERVED = new Set<string>(CMCD_KEYS);

/**
 * Splits a body into CMCD v2 event-mode reports and decodes each with @svta/cml-cmcd: text
 * (`application/cmcd`, one report per line, RFC 8941 dictionary syntax) or JSON (one report
 * object or a list of them, already parsed by the JSON body parser, or as text).
 */
export function decodeCmcdBody(body: unknown): DecodedBody {
  if (typeof body === "string") {
    const trimmed = body.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      try {
        return decodeCmcdBody(JSON.parse(trimmed) as unknown);
      } catch (err) {
        return { ok: false, message: `the body starts like JSON but is not: ${(err as Error).message}` };
      }
    }
    const lines = trimmed.split(/\r?\n/).filter((l) => l.trim() !== "");
    return { ok: true, reports: lines.map((line, i) => decodeLine(line.trim(), i)) };
  }
  if (Array.isArray(body)) return { ok: true, reports: body.map((r, i) => checked(r, i, r)) };
  if (body !== null && typeof body === "object") return { ok: true, reports: [checked(body, 0, body)] };
  return { ok: false, message: "send CMCD reports as application/cmcd text (one per line) or as JSON objects" };
}

function decodeLine(line: string, index: number): DecodedReport {
  let data: Record<string, unknown>;
  try {
    data = decodeCmcd(line) as Record<string, unknown>;
  } catch {
    return refuse(index, line, "", "cmcd_syntax", "not CMCD: a report is a dictionary such as e=ps,sta=p,ts=1,v=2");
  }
  if (Object.keys(data).length === 0)
    return refuse(index, line, "", "cmcd_syntax", "not CMCD: a report is a dictionary such as e=ps,sta=p,ts=1,v=2");
  return checked(data, index, line);
}

/** Validates one decoded report as CMCD v2 event mode; only errors refuse it, warnings do not. */
function checked(data: unknown, index: number, raw: unknown): DecodedReport {
  if (data === null || typeof data !== "object" || Array.isArray(data))
    return refuse(index, raw, "", "type", "each CMCD report must be an object of CMCD keys");
  const record = data as Record<string, unknown>;
  const result = validateCmcd(record, { version: CMCD_V2, reportingMode: CmcdReportingMode.EVENT });
  const errors = result.issues
    .filter((i) => i.severity === "error")
    .map((i) => ({ pointer: i.key ? `/cmcd/${i.key}` : "", reason: "cmcd_invalid", message: i.message.slice(0, 300) }));
  if (errors.length > 0) return { index, ok: false, errors, raw };
  return { index, ok: true, data: record, raw };
}

function refuse(index: number, raw: unknown, pointer: string, reason: string, message: string): DecodedReport {
  return { index, ok: false, errors: [{ pointer, reason, message }], raw };
}

/** An RFC 8941 item with parameters (`3000;v`), as the library decodes it. */
interface SfItemLike {
  value: unknown;
  params?: Record<string, unknown>;
}
const isItem = (v: unknown): v is SfItemLike =>
  v !== null && typeof v === "object" && !Array.isArray(v) && "value" in v && !(v instanceof Uint8Array);

/** A bare value as JSON can hold it: tokens and symbols become their text, bytes base64. */
function bare(v: unknown): unknown {
  const x = isItem(v) ? v.value : v;
  if (typeof x === "symbol") return x.description ?? "";
  if (x instanceof Uint8Array) return Buffer.from(x).toString("base64");
  if (x instanceof Date) return x.getTime();
  if (x !== null && typeof x === "object" && typeof x.toString === "function" && x.constructor?.name === "SfToken")
    return String(x);
  return x;
}

/** The object type named by an inner-list item's parameters (`3000;v` → `v`), or "". */
function typeOf(item: unknown): string {
  if (!isItem(item) || !item.params) return "";
  return Object.keys(item.params).find((k) => item.params?.[k] === true) ?? "";
}

/** Splits decoded data into the contract's reserved keys, custom keys and inner-list object types. */
export function toContract(data: Record<string, unknown>): {
  cmcd: Record<string, Value>;
  custom: Record<string, Value>;
  types: Record<string, string[]>;
} {
  const cmcd: Record<string, Value> = {};
  const custom: Record<string, Value> = {};
  const types: Record<string, string[]> = {};
  for (const [key, raw] of Object.entries(data)) {
    if (raw === undefined) continue;
    const value = (Array.isArray(raw) ? raw.map(bare) : bare(raw)) as Value;
    if (RESERVED.has(key)) {
      cmcd[key] = value;
      if (Array.isArray(raw) && raw.some((i) => typeOf(i) !== "")) types[key] = raw.map(typeOf);
    } else if (isCmcdCustomKey(key as CmcdCustomKey)) custom[key] = value;
    // A key the library accepts but the contract lacks is kept in `cmcd`, where validation names it.
    else cmcd[key] = value;
  }
  return { cmcd, custom, types };
}

/** A UUIDv7 whose time is `ms` and whose random bits come from `seed`: the same report maps to the same id. */
function deterministicV7(ms: number, seed: string): string {
  const h = createHash("sha256").update(seed).digest();
  const b = Buffer.alloc(16);
  b.writeUIntBE(Math.max(0, Math.floor(ms)) % 2 ** 48, 0, 6);
  h.copy(b, 6, 0, 10);
  b[6] = 0x70 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  const hex = b.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const validTime = (ms: unknown): ms is number =>
  typeof ms === "number" && Number.isFinite(ms) && Math.abs(ms) <= 8.64e15;

/**
 * Maps one decoded report into the playback family. `sid` is the view (the reeltime SDK sets
 * hls.js's CMCD session id to its view id), so the report joins that view; `cid` is the video
 * when it is a valid id. The event is validated against the contract afterwards.
 */
export function cmcdToEvent(data: Record<string, unknown>, nowMs: number): EventOf<"playback.cmcd"> {
  const { cmcd, custom, types } = toContract(data);
  const sid = typeof cmcd.sid === "string" && cmcd.sid !== "" ? cmcd.sid : "unknown";
  const ts = validTime(cmcd.ts) ? cmcd.ts : nowMs;
  const seq = typeof cmcd.sn === "number" && Number.isInteger(cmcd.sn) && cmcd.sn >= 0 ? cmcd.sn : 0;
  const pt = typeof cmcd.pt === "number" && Number.isFinite(cmcd.pt) ? Math.max(0, Math.round(cmcd.pt)) : 0;
  const cid = typeof cmcd.cid === "string" && ID.test(cmcd.cid) ? cmcd.cid : "unknown";
  const extras = {
    ...(Object.keys(custom).length > 0 ? { cmcd_custom: custom } : {}),
    ...(Object.keys(types).length > 0 ? { cmcd_types: types } : {}),
  };
  return {
    event_id: deterministicV7(ts, JSON.stringify({ cmcd, ...extras })),
    event_type: "playback.cmcd",
    schema_version: SCHEMA_VERSION,
    client_ts: new Date(ts).toISOString(),
    seq,
    session_id: sid,
    view_id: sid,
    video: { id: cid },
    playhead_ms: pt,
    cmcd: cmcd as EventOf<"playback.cmcd">["cmcd"],
    ...(extras as Pick<EventOf<"playback.cmcd">, "cmcd_custom" | "cmcd_types">),
  };
}
