import { describe, expect, it } from "vitest";
import { CLOUDFRONT_REALTIME_FIELDS, REALTIME_CMCD_KEYS, realtimeFieldOrder } from "../src/realtime-fields.ts";

describe("CloudFront real-time field order", () => {
  it("has the 69 documented fields once each, the 2023 ones in the 2023 page's order", () => {
    expect(CLOUDFRONT_REALTIME_FIELDS).toHaveLength(69);
    expect(new Set(CLOUDFRONT_REALTIME_FIELDS).size).toBe(69);
    expect(CLOUDFRONT_REALTIME_FIELDS.slice(0, 4)).toEqual(["timestamp", "c-ip", "s-ip", "time-to-first-byte"]);
    expect(CLOUDFRONT_REALTIME_FIELDS.indexOf("cmcd-session-id")).toBe(59);
    expect(CLOUDFRONT_REALTIME_FIELDS.at(-1)).toBe("connection-id");
  });

  it("sorts a configured set into the canonical order, whatever order it was given in", () => {
    expect(realtimeFieldOrder(["cmcd-session-id", "sc-status", "timestamp", "x-edge-location"])).toEqual([
      "timestamp",
      "sc-status",
      "x-edge-location",
      "cmcd-session-id",
    ]);
  });

  it("refuses an unknown field and a field given twice", () => {
    expect(() => realtimeFieldOrder(["timestamp", "c-ip", "sc-statu"])).toThrow(/"sc-statu" is not/);
    expect(() => realtimeFieldOrder(["timestamp", "timestamp"])).toThrow(/listed twice/);
  });

  it("maps every cmcd-* field to a CMCD key", () => {
    const cmcd = CLOUDFRONT_REALTIME_FIELDS.filter((f) => f.startsWith("cmcd-"));
    expect(Object.keys(REALTIME_CMCD_KEYS).sort()).toEqual([...cmcd].sort());
  });
});
