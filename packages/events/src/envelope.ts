import { type TLiteral, type TObject, type TSchema, Type } from "@sinclair/typebox";
import { AppId, HINT, Id, Keyword, LongText, Obj, ShortText, Timestamp, UuidV7 } from "./common.ts";
import { LIMITS } from "./limits.ts";

const AttributeValue = Type.Unsafe<string | number | boolean>({
  type: ["string", "number", "boolean"],
  maxLength: LIMITS.attributeValueLength,
});

/** Free-form custom dimensions: bounded in count, key shape and value size; `flattened` in Elasticsearch. */
export const Attributes = Type.Record(Type.String({ pattern: "^[a-z][a-z0-9_.]{0,63}$" }), AttributeValue, {
  maxProperties: LIMITS.attributes,
  additionalProperties: false,
  [HINT]: "json",
  description: `at most ${LIMITS.attributes} keys (lowercase, digits, '_' or '.', up to 64 characters) with short scalar values`,
});

export const UserAgent = Obj({
  original: Type.Optional(LongText({ description: "the User-Agent header as sent" })),
  name: Type.Optional(ShortText()),
  version: Type.Optional(ShortText()),
  os_name: Type.Optional(ShortText()),
  os_version: Type.Optional(ShortText()),
  device_type: Type.Optional(ShortText()),
});

export const Client = Obj({
  ip: Type.Optional(Type.String({ maxLength: 64, description: "truncated by the server (IPv4 /24, IPv6 /48)" })),
  country: Type.Optional(Type.String({ pattern: "^[A-Z]{2}$" })),
});

export const Page = Obj({
  url: LongText({ search: true }),
  referrer: Type.Optional(LongText()),
});

/** What a view plays: on demand (`vod`) or a live stream (`live`, e.g. HLS without #EXT-X-ENDLIST). */
export const STREAM_TYPES = ["vod", "live"] as const;

export const Video = Obj({
  id: Id,
  title: Type.Optional(ShortText({ search: true })),
  duration_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 864_000_000 })),
  source_url: Type.Optional(LongText()),
  stream_type: Type.Optional(
    Keyword(STREAM_TYPES, "vod or live (set by the SDK once the player knows; absent means not known yet: vod)"),
  ),
});

/** Fields every event carries, whatever its family. */
export const envelopeFields = {
  event_id: UuidV7,
  schema_version: Type.String({ pattern: "^1\\.[0-9]{1,3}$", description: 'the contract version, e.g. "1.0"' }),
  client_ts: Timestamp,
  received_at: Type.Optional(Timestamp),
  seq: Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: "monotonic per view or per job" }),
  app_id: Type.Optional(AppId),
  session_id: Type.Optional(Id),
  view_id: Type.Optional(Id),
  viewer_id: Type.Optional(Id),
  user_agent: Type.Optional(UserAgent),
  client: Type.Optional(Client),
  page: Type.Optional(Page),
  sample_rate: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
  attributes: Type.Optional(Attributes),
};

/** Builds one event type's schema: the envelope plus the type's own fields (which may tighten envelope ones). */
export function defineEvent<T extends string, P extends Record<string, TSchema>>(
  type: T,
  description: string,
  props: P,
): TObject<Omit<typeof envelopeFields, keyof P> & { event_type: TLiteral<T> } & P> {
  return Type.Object(
    { ...envelopeFields, event_type: Type.Literal(type), ...props },
    { $id: type, title: type, description, additionalProperties: false },
  ) as unknown as TObject<Omit<typeof envelopeFields, keyof P> & { event_type: TLiteral<T> } & P>;
}
