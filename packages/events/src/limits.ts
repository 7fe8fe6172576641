/** Hard limits of the contract. They bound memory per event and protect the search mapping. */
export const LIMITS = {
  /** Short identifiers and enum-like strings. */
  idLength: 64,
  /** Names, titles, labels, codes. */
  shortText: 256,
  /** URLs, error messages, element paths. */
  longText: 2048,
  /** ffmpeg stderr tails and error details. */
  detailText: 8192,
  /** Keys in the free-form `attributes` map. */
  attributes: 32,
  attributeKeyLength: 64,
  attributeValueLength: 256,
  /** Object nesting inside one event (the envelope itself uses 3). */
  depth: 6,
  /** Events in one batch. */
  batchEvents: 500,
  /** A client timestamp older than this (ms) is rejected. */
  maxPastMs: 30 * 24 * 3600 * 1000,
  /** A client timestamp further ahead than this (ms) is rejected: clocks drift, but not by days. */
  maxFutureMs: 24 * 3600 * 1000,
} as const;

/** Major.minor of the contract. New optional fields bump the minor; anything else is a new major. */
export const SCHEMA_VERSION = "1.0";
export const SCHEMA_MAJOR = 1;
