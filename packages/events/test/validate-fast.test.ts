// The fast path of validation (issue [18]) must be exactly as strict as the full one: the
// hand-read date-time shape against ajv-formats' full check, the length keywords against ajv's
// code-point count, and events the fast path sees against the full path's answers.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { fastDateTime } from "../src/date-time.ts";
import { exampleEvent, LIMITS, validateEvent } from "../src/index.ts";
import { codePoints } from "../src/validate.ts";

const require = createRequire(import.meta.url);
const fullDateTime = (
  require("ajv-formats") as { get(n: string, m: string): { validate: (s: string) => boolean } }
).get("date-time", "full").validate;
const ucs2length = (require("ajv/dist/runtime/ucs2length") as { default: (s: string) => number }).default;

const EDGES = [
  "2026-11-22T10:00:00.123Z",
  "2026-11-22T10:00:00Z",
  "2026-11-22t10:00:00z",
  "2026-11-22 10:00:00Z",
  "2024-02-29T10:00:00Z",
  "2025-02-29T10:00:00Z",
  "2000-02-29T10:00:00Z",
  "1900-02-29T10:00:00Z",
  "2026-04-31T10:00:00Z",
  "2026-12-31T10:00:00Z",
  "2026-13-01T10:00:00Z",
  "2026-00-10T10:00:00Z",
  "2026-11-00T10:00:00Z",
  "2026-11-22T24:00:00Z",
  "2026-11-22T23:60:00Z",
  "2026-11-22T10:00:60Z",
  "2026-11-22T23:59:60Z",
  "2026-11-22T23:59:60+01:00",
  "2026-11-22T22:59:60-01:00",
  "2026-11-22T10:00:00.Z",
  "2026-11-22T10:00:00.1234567Z",
  "2026-11-22T10:00:00+01:00",
  "2026-11-22T10:00:00+0100",
  "2026-11-22T10:00:00+24:00",
  "2026-11-22T10:00:00",
  "2026-11-22T10:00:00.123ZZ",
  "2026-11-22TT10:00:00Z",
  "２026-11-22T10:00:00Z",
  "2026-11-22T10:00:00.12a3Z",
  "2026-11-22T10:0:00Z",
  "20261122T100000Z",
  "2026-11-22T10:00:00\u00a0Z",
  "+12026-11-22T10:00:00Z",
  "",
];

/** A deterministic stream of strings near a timestamp: one to three characters replaced. */
function* mutations(count: number): Generator<string> {
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const alphabet = "0123456789-:.TtZz +\u00a0x";
  for (let i = 0; i < count; i++) {
    const chars = [...EDGES[next() % 3]!];
    for (let k = 0; k <= next() % 3; k++) chars[next() % chars.length] = alphabet[next() % alphabet.length]!;
    yield chars.join("");
  }
}

describe("date-time: the hand-read shape", () => {
  it("accepts only what ajv-formats' full check accepts", () => {
    for (const s of [...EDGES, ...mutations(50_000)]) if (fastDateTime(s)) expect(fullDateTime(s), s).toBe(true);
  });

  it("reads the shapes clients send, so the common case skips the regular expressions", () => {
    for (const s of ["2026-11-22T10:00:00.123Z", "2026-11-22T10:00:00Z", "2024-02-29T23:59:59.9Z"])
      expect(fastDateTime(s), s).toBe(true);
  });

  it("leaves leap seconds, offsets and lowercase to ajv-formats, with the same verdicts as before", () => {
    const now = new Date("2026-11-22T12:00:00.000Z");
    for (const s of EDGES) {
      const r = validateEvent({ ...exampleEvent("playback.play", { now }), client_ts: s }, 0, { now });
      const formatError = !r.ok && r.errors.some((e) => e.pointer === "/client_ts" && e.reason === "format");
      expect(formatError, s).toBe(!fullDateTime(s));
    }
  });
});

describe("string lengths in code points", () => {
  it("counts as ajv does, lone surrogates included", () => {
    for (const s of ["", "x", "é", "😀", "😀x", "\ud800", "\udc00", "\ud800\ud800\udc00", "a\udbff", "😀".repeat(300)])
      expect(codePoints(s), JSON.stringify(s)).toBe(ucs2length(s));
  });

  it("holds a limit in code points where UTF-16 units are more", () => {
    const now = new Date("2026-11-22T12:00:00.000Z");
    const withTitle = (title: string) =>
      validateEvent({ ...exampleEvent("playback.view_start", { now }), video: { id: "v1", title } }, 0, { now });
    expect(withTitle("😀".repeat(LIMITS.shortText)).ok).toBe(true);
    expect(withTitle(`${"😀".repeat(LIMITS.shortText - 1)}xx`).ok).toBe(false);
    const over = withTitle("😀".repeat(LIMITS.shortText + 1));
    expect(over.ok).toBe(false);
    if (!over.ok)
      expect(over.errors).toContainEqual({
        pointer: "/video/title",
        reason: "too_long",
        message: `is ${2 * (LIMITS.shortText + 1)} characters; the limit is ${LIMITS.shortText}`,
      });
    const empty = validateEvent({ ...exampleEvent("playback.play", { now }), view_id: "" }, 0, { now });
    expect(empty.ok ? [] : empty.errors).toContainEqual({
      pointer: "/view_id",
      reason: "too_short",
      message: "must not be empty",
    });
  });
});

describe("the fast path stands in for the structural walk", () => {
  it("still refuses a forbidden key in an object the schema leaves open", () => {
    const now = new Date("2026-11-22T12:00:00.000Z");
    for (const key of ["constructor", "prototype", "__proto__"]) {
      const attributes = JSON.parse(`{"ok": 1, "${key}": "x"}`) as Record<string, unknown>;
      const r = validateEvent({ ...exampleEvent("playback.play", { now }), attributes }, 0, { now });
      expect(r.ok ? [] : r.errors, key).toEqual([
        {
          pointer: `/attributes/${key}`,
          reason: "forbidden_key",
          message: `the key "${key}" is not allowed anywhere`,
        },
      ]);
    }
  });
});
