import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fileLines } from "../src/lines.ts";
import { parseRealtimeRecord } from "../src/realtime.ts";
import { CLOUDFRONT_REALTIME_FIELDS, type RealtimeField, realtimeFieldOrder } from "../src/realtime-fields.ts";
import { parseStandardLog } from "../src/standard.ts";
import { STANDARD_FIELDS, standardFile, standardLine } from "./fixtures/cloudfront.ts";

const ctx = { logFile: "f", identity: "i", receivedAt: "2026-12-04T15:00:00.000Z" };

async function standardCdn(fields: readonly string[]) {
  const file = standardFile([standardLine({}, fields)], fields);
  for await (const o of parseStandardLog(fileLines(Readable.from([Buffer.from(file)])), ctx))
    if ("event" in o) return o.event.cdn;
  throw new Error("no event");
}

describe("field order (property)", () => {
  it("standard logs: any order of the #Fields header reads the same event", async () => {
    const reference = await standardCdn(STANDARD_FIELDS);
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray([...STANDARD_FIELDS], { minLength: STANDARD_FIELDS.length }),
        async (order) => {
          expect(await standardCdn(order)).toEqual(reference);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("real-time logs: any configured subset, given in any order, reads each field from its canonical place", () => {
    const optional = CLOUDFRONT_REALTIME_FIELDS.filter((f) => !["timestamp", "sc-status", "cs-uri-stem"].includes(f));
    fc.assert(
      fc.property(fc.shuffledSubarray([...optional], { maxLength: 39 }), fc.boolean(), (extra, reverse) => {
        const configured: RealtimeField[] = ["timestamp", "sc-status", "cs-uri-stem", ...extra];
        if (reverse) configured.reverse();
        const fields = realtimeFieldOrder(configured);
        // Each field's value names the field, so a value read from the wrong place shows.
        const line = fields
          .map((f) => (f === "timestamp" ? "1796393109.123" : f === "sc-status" ? "206" : `/${f}`))
          .join("\t");
        const [o] = parseRealtimeRecord(line, fields, { source: "cloudfront-realtime", position: "p" });
        expect(o && "event" in o ? o.event.cdn.uri : o).toBe("/cs-uri-stem");
        if (o && "event" in o && fields.includes("x-edge-location")) expect(o.event.cdn.pop).toBe("/x-edge-location");
      }),
      { numRuns: 200 },
    );
  });
});
