import { type TSchema, Type } from "@sinclair/typebox";
import { LIMITS } from "./limits.ts";

/**
 * How a field is stored where it matters: `text` is analysed for fuzzy search in
 * Elasticsearch (with a keyword twin); everything else is derived from the JSON type.
 */
export type StorageHint = "text" | "timestamp" | "json";
export const HINT = "x-reeltime" as const;
/**
 * Marks personal data the contract carries for one consumer (e.g. the uploader's email, for the
 * notifier): the Parquet archive keeps it, the search copy never does (`withoutPrivateFields`).
 */
export const PRIVATE = "x-reeltime-private" as const;

/** A UUIDv7, as made by producers (time-ordered, so ids sort by creation). */
export const UuidV7 = Type.String({
  pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
  description: "a lowercase UUIDv7, e.g. 0192f3a0-7c1e-7d2a-9b1c-3e4f5a6b7c8d",
});

/** An opaque identifier made by a client (view, session, viewer, video, job). */
export const Id = Type.String({
  minLength: 1,
  maxLength: LIMITS.idLength,
  pattern: "^[A-Za-z0-9][A-Za-z0-9._:-]*$",
  description: "1-64 characters: letters, digits, '.', '_', ':' or '-', starting with a letter or digit",
});

export const AppId = Type.String({
  minLength: 1,
  maxLength: LIMITS.idLength,
  pattern: "^[a-z0-9][a-z0-9_-]*$",
  description: "lowercase letters, digits, '_' or '-'",
});

/** An RFC 3339 timestamp with a zone, e.g. 2026-11-22T10:00:00.123Z. */
export const Timestamp = Type.String({
  format: "date-time",
  maxLength: 40,
  [HINT]: "timestamp",
  description: "an RFC 3339 timestamp with zone, e.g. 2026-11-22T10:00:00.123Z",
});

export const ShortText = (opts: { search?: boolean; description?: string } = {}) =>
  Type.String({
    maxLength: LIMITS.shortText,
    ...(opts.search ? { [HINT]: "text" } : {}),
    ...(opts.description ? { description: opts.description } : {}),
  });

export const LongText = (opts: { search?: boolean; description?: string } = {}) =>
  Type.String({
    maxLength: LIMITS.longText,
    ...(opts.search ? { [HINT]: "text" } : {}),
    ...(opts.description ? { description: opts.description } : {}),
  });

/** One of a fixed set of values, as a JSON Schema `enum` (one clear error instead of one per branch). */
export const Keyword = <T extends string | number>(values: readonly T[], description?: string) =>
  Type.Unsafe<T>({
    type: typeof values[0] === "number" ? "integer" : "string",
    enum: [...values],
    ...(description ? { description } : {}),
  });

export const Ms = (description?: string) =>
  Type.Integer({ minimum: 0, maximum: 2_147_483_647, ...(description ? { description } : {}) });
export const Count = (description?: string) =>
  Type.Integer({ minimum: 0, maximum: 2_147_483_647, ...(description ? { description } : {}) });
export const Bytes = (description?: string) =>
  Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, ...(description ? { description } : {}) });
export const Bps = (description?: string) =>
  Type.Integer({ minimum: 0, maximum: 10_000_000_000, ...(description ? { description } : {}) });

/** A closed object: unknown fields are reported by name instead of silently stored. */
export const Obj = <P extends Record<string, TSchema>>(props: P, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });
