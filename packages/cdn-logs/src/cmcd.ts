import { EVENT_SCHEMAS } from "@reeltime/events";
import { decodeCmcd, fromCmcdHeaders } from "@svta/cml-cmcd";
import { REALTIME_CMCD_KEYS } from "./realtime-fields.ts";

type Value = string | number | boolean | string[] | number[];
export type CmcdData = Record<string, Value>;

const cmcdSchema = (
  EVENT_SCHEMAS["cdn.request"].properties.cmcd as unknown as {
    properties: Record<string, { type?: string | string[]; items?: { type?: string } }>;
  }
).properties;
const KEYS = new Set(Object.keys(cmcdSchema));
const typeOf = (k: string) => cmcdSchema[k]?.type;
const isIntList = (k: string) => typeOf(k) === "array" && cmcdSchema[k]?.items?.type === "integer";
const isStringList = (k: string) => typeOf(k) === "array" && cmcdSchema[k]?.items?.type === "string";

/** Decodes percent-encoding once; the text as it is when it is not valid percent-encoding. */
export function percentDecode(text: string): string {
  if (!text.includes("%")) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The CMCD of a query string (`CMCD=` with its URL-encoded dictionary). Logs may encode the
 * query once more (CloudFront's standard logs URL-encode every value), so the value is decoded
 * until it reads as a dictionary (at most twice).
 */
export function cmcdFromQuery(query: string | undefined): CmcdData {
  if (!query) return {};
  const part = query.split("&").find((p) => p.startsWith("CMCD="));
  if (part === undefined) return {};
  let value = part.slice(5).replaceAll("+", "%20");
  for (let i = 0; i < 3 && /%[0-9A-Fa-f]{2}/.test(value); i++) value = percentDecode(value);
  return decoded(value);
}

function decoded(dictionary: string): CmcdData {
  try {
    return plain(decodeCmcd(dictionary) as Record<string, unknown>);
  } catch {
    return {};
  }
}

/**
 * The CMCD of request headers as a real-time log's `cs-headers` carries them: URL-encoded
 * `Name:value` pairs, one a line. Only the CMCD-Object, -Request, -Session and -Status headers
 * are read.
 */
export function cmcdFromHeaderBlock(block: string | undefined): CmcdData {
  if (!block) return {};
  const text = percentDecode(block);
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    if (/^cmcd-(object|request|session|status)$/i.test(name)) headers[name] = line.slice(colon + 1).trim();
  }
  if (Object.keys(headers).length === 0) return {};
  try {
    return plain(fromCmcdHeaders(headers) as Record<string, unknown>);
  } catch {
    return {};
  }
}

const truthy = (v: string) => v === "true" || v === "1" || v === "?1" || v === "TRUE" || v === "True";

/** The CMCD a real-time log's cmcd-* fields carry (CloudFront parsed them from the request). */
export function cmcdFromFields(fields: Readonly<Record<string, string | undefined>>): CmcdData {
  const out: CmcdData = {};
  for (const [field, key] of Object.entries(REALTIME_CMCD_KEYS)) {
    const raw = fields[field];
    if (raw === undefined || raw === "") continue;
    const v = percentDecode(raw);
    if (key === "bs" || key === "su") out[key] = truthy(v);
    else if (typeOf(key) === "string" || isStringList(key)) out[key] = v.replace(/^"(.*)"$/, "$1");
    else if (Number.isFinite(Number(v))) out[key] = Number(v);
  }
  return plain(out);
}

/** Decoded CMCD as plain JSON values (tokens and items as their text or number). */
function plain(data: Record<string, unknown>): CmcdData {
  const out: CmcdData = {};
  for (const [k, raw] of Object.entries(data)) {
    const v = bare(raw);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function bare(v: unknown): Value | undefined {
  if (Array.isArray(v)) {
    const items = v.map(bare).filter((x): x is string | number => typeof x === "string" || typeof x === "number");
    return items as string[] | number[];
  }
  if (v !== null && typeof v === "object" && "value" in v) return bare((v as { value: unknown }).value);
  if (typeof v === "symbol") return v.description ?? "";
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  if (v !== null && v !== undefined && typeof (v as object).toString === "function") return String(v);
  return undefined;
}

/**
 * CMCD in the contract's shape: reserved keys only, inner-list keys as lists of integers,
 * `nor` as a list; values of the wrong type are left out (the request still counts).
 */
export function toContractCmcd(data: CmcdData): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    if (!KEYS.has(k)) continue;
    if (isIntList(k)) {
      const list = (Array.isArray(v) ? v : [v]).map(Number);
      if (list.every((n) => Number.isInteger(n) && n >= 0)) out[k] = list.slice(0, 16);
    } else if (isStringList(k)) {
      out[k] = (Array.isArray(v) ? v : [v]).map(String).slice(0, 16);
    } else {
      const t = typeOf(k);
      if (t === "integer" && typeof v === "number" && Number.isInteger(v) && v >= 0) out[k] = v;
      else if (t === "number" && typeof v === "number") out[k] = v;
      else if (t === "boolean" && typeof v === "boolean") out[k] = v;
      else if ((t === "string" || t === undefined) && typeof v === "string") out[k] = v;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
