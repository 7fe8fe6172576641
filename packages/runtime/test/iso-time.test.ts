import { describe, expect, it } from "vitest";
import { isoTime } from "../src/iso-time.ts";

describe("isoTime", () => {
  it("gives the text of Date#toISOString for random times across the whole 4-digit-year range", () => {
    for (let i = 0; i < 20_000; i++) {
      const ms = Math.floor(Math.random() * 253402300799999);
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it("gives the same text at the edges: the epoch, whole seconds, the last millisecond of a second and of year 9999, and the same second again", () => {
    for (const ms of [
      0, 999, 1000, 1_764_000_000_000, 1_764_000_000_999, 1_764_000_001_000, 951_782_400_000, 253402300799999,
    ])
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    expect(isoTime(1_764_000_000_123)).toBe("2025-11-24T16:00:00.123Z");
    expect(isoTime(1_764_000_000_007)).toBe("2025-11-24T16:00:00.007Z");
  });

  it("leaves what it does not cover to toISOString: before 1970, after 9999, fractions, an invalid time", () => {
    for (const ms of [-1, -62198755200000, 253402300800000, 8.64e15, 1_764_000_000_000.5])
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });

  it("stays right when more distinct seconds pass than it keeps", () => {
    for (let s = 0; s < 10_000; s++) {
      const ms = 1_764_000_000_000 + s * 1000 + (s % 1000);
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });
});
