import { type TSchema, Type } from "@sinclair/typebox";
import { HINT } from "../common.ts";

/**
 * CMCD v2 (CTA-5004-B) as the contract stores it: every reserved key typed, numbers as numbers,
 * inner lists as arrays. Token values are the spec's own letters; the ingest API decodes and
 * validates reports with @svta/cml-cmcd before they are mapped here.
 */

/** Bounds of what one report may carry beyond the reserved keys. */
export const CMCD_LIMITS = {
  /** Items in one inner list (`br`, `bl`, `ec`, `nor`...). */
  listItems: 16,
  /** Custom keys (`com.example-x`) in one report. */
  customKeys: 16,
  customKeyLength: 64,
  /** Characters of one custom string value (and of each item of a custom list). */
  customValueLength: 256,
} as const;

/** Object types (`ot`, and the token naming each inner-list item). */
export const CMCD_OBJECT_TYPES = ["m", "a", "v", "av", "i", "c", "tt", "k", "o"] as const;
/** Player states (`sta`). */
export const CMCD_PLAYER_STATES = ["s", "p", "k", "r", "a", "w", "e", "f", "q", "d"] as const;
/** Stream types (`st`). */
export const CMCD_STREAM_TYPES = ["v", "l", "ll"] as const;
/** Streaming formats (`sf`); `e` is HESP, listed by the spec but not by every library. */
export const CMCD_STREAMING_FORMATS = ["d", "h", "e", "s", "o"] as const;
/** Event types (`e`) of event-mode reports. */
export const CMCD_EVENT_TYPES = [
  "abs",
  "abe",
  "ae",
  "as",
  "b",
  "bc",
  "c",
  "ce",
  "e",
  "h",
  "m",
  "pc",
  "pe",
  "pr",
  "ps",
  "rr",
  "sk",
  "t",
  "um",
] as const;

const token = <T extends string>(values: readonly T[], description: string) =>
  Type.Unsafe<T>({ type: "string", enum: [...values], description });
const int = (description: string) =>
  Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description }));
const str = (maxLength: number, description: string) => Type.Optional(Type.String({ maxLength, description }));
const flag = (description: string) => Type.Optional(Type.Boolean({ description }));
/** An inner list of integers (kbps, ms or counts): `br=(3000 128)` is `[3000, 128]`. */
const ints = (description: string) =>
  Type.Optional(
    Type.Array(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), {
      maxItems: CMCD_LIMITS.listItems,
      description,
    }),
  );
const strings = (maxLength: number, description: string) =>
  Type.Optional(Type.Array(Type.String({ maxLength }), { maxItems: CMCD_LIMITS.listItems, description }));

/** Reserved keys of CMCD v2, request, response and event mode together. */
const reserved = {
  ab: ints("aggregate encoded bitrate, kbps"),
  bg: flag("backgrounded"),
  bl: ints("buffer length, ms"),
  br: ints("encoded bitrate, kbps"),
  bs: flag("buffer starvation since the previous report"),
  bsa: ints("buffer starvations since the session began"),
  bsd: ints("durations of buffer starvations, ms"),
  bsda: ints("buffer starvation duration since the session began, ms"),
  cdn: str(128, "CDN id"),
  cen: str(64, "custom event name (e=ce)"),
  cid: str(128, "content id"),
  cmsdd: str(2048, "CMSD-Dynamic header, base64 (e=rr)"),
  cmsds: str(2048, "CMSD-Static header, base64 (e=rr)"),
  cs: str(2048, "content signature"),
  d: int("object duration, ms"),
  dfa: int("dropped frames since the session began"),
  dl: int("deadline, ms"),
  e: Type.Optional(token(CMCD_EVENT_TYPES, "event type")),
  ec: strings(256, "player error codes"),
  h: str(128, "hostname"),
  lab: ints("lowest aggregate encoded bitrate, kbps"),
  lb: ints("lowest encoded bitrate, kbps"),
  ltc: int("live latency, ms"),
  msd: int("media start delay, ms"),
  mtp: ints("measured throughput, kbps"),
  nor: strings(2048, "next object requests, relative URLs"),
  nr: flag("not rendered"),
  ot: Type.Optional(token(CMCD_OBJECT_TYPES, "object type")),
  pb: ints("playhead bitrate, kbps"),
  pr: Type.Optional(Type.Number({ minimum: 0, maximum: 1000, description: "playback rate" })),
  pt: int("playhead time, ms"),
  rc: Type.Optional(Type.Integer({ minimum: 0, maximum: 999, description: "response code (e=rr)" })),
  rtp: int("requested maximum throughput, kbps"),
  sf: Type.Optional(token(CMCD_STREAMING_FORMATS, "streaming format")),
  sid: str(64, "session id; the reeltime SDK sets it to its view id"),
  smrt: str(2048, "SMRT-Data header, base64 (e=rr)"),
  sn: int("sequence number of the report"),
  st: Type.Optional(token(CMCD_STREAM_TYPES, "stream type")),
  sta: Type.Optional(token(CMCD_PLAYER_STATES, "player state")),
  su: flag("startup"),
  tab: ints("top aggregate encoded bitrate, kbps"),
  tb: ints("top encoded bitrate, kbps"),
  tbl: ints("target buffer length, ms"),
  tpb: ints("top playable bitrate, kbps"),
  ts: int("time of the event, ms since the Unix epoch"),
  ttfb: int("time to first byte, ms (e=rr)"),
  ttfbb: int("time to first body byte, ms (e=rr)"),
  ttlb: int("time to last byte, ms (e=rr)"),
  url: str(2048, "requested URL (e=rr)"),
  v: Type.Optional(Type.Integer({ minimum: 1, maximum: 99, description: "CMCD version" })),
} satisfies Record<string, TSchema>;

/** Names of the reserved keys the contract stores. */
export const CMCD_KEYS = Object.keys(reserved) as (keyof typeof reserved)[];
/** Reserved keys whose value is an inner list of integers. */
export const CMCD_INT_LIST_KEYS = CMCD_KEYS.filter((k) => {
  const s = reserved[k] as unknown as { type?: string; items?: { type?: string } };
  return s.type === "array" && s.items?.type === "integer";
});

/** The reserved keys of one report, typed; closed, so an unknown key is named in the error. */
export const Cmcd = Type.Object(reserved, {
  additionalProperties: false,
  description: "CMCD v2 reserved keys of one report",
});

/** A custom key per CTA-5004-B: lowercase, a hyphen that is neither first nor last (e.g. com.example-x). */
export const CMCD_CUSTOM_KEY = "^[a-z][a-z0-9.]*-[a-z0-9.-]*[a-z0-9.]$";

const customScalar = Type.Union([
  Type.String({ maxLength: CMCD_LIMITS.customValueLength }),
  Type.Number(),
  Type.Boolean(),
]);

/** Custom keys of one report, bounded (see CMCD_LIMITS); stored as a free-form map. */
export const CmcdCustom = Type.Record(
  Type.String({ pattern: CMCD_CUSTOM_KEY, maxLength: CMCD_LIMITS.customKeyLength }),
  Type.Union([customScalar, Type.Array(customScalar, { maxItems: CMCD_LIMITS.listItems })]),
  {
    maxProperties: CMCD_LIMITS.customKeys,
    additionalProperties: false,
    [HINT]: "json",
    description: `CMCD custom keys: at most ${CMCD_LIMITS.customKeys}, names up to ${CMCD_LIMITS.customKeyLength} characters, strings up to ${CMCD_LIMITS.customValueLength}`,
  },
);

/**
 * The object type token of each inner-list item, when the report names one: `br=(3000;v 128;a)`
 * is `cmcd.br = [3000, 128]` and `cmcd_types.br = ["v", "a"]` ("" for an item without a token).
 */
export const CmcdTypes = Type.Record(
  Type.String({ pattern: "^[a-z]{1,8}$" }),
  Type.Array(Type.Union([Type.Literal(""), token(CMCD_OBJECT_TYPES, "object type")]), {
    maxItems: CMCD_LIMITS.listItems,
  }),
  {
    maxProperties: 16,
    additionalProperties: false,
    [HINT]: "json",
    description: "object type token of each inner-list item, aligned with the values in cmcd",
  },
);
