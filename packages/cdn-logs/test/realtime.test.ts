import { describe, expect, it } from "vitest";
import { parseRealtimeRecord, type RecordOutcome } from "../src/realtime.ts";
import { CLOUDFRONT_REALTIME_FIELDS, type RealtimeField, realtimeFieldOrder } from "../src/realtime-fields.ts";
import { cmcdQuery, REALTIME_SUBSET, realtimeLine } from "./fixtures/cloudfront.ts";

const ctx = {
  source: "cloudfront-realtime" as const,
  position: "rt/shardId-000000000000/4961",
  receivedAt: "2026-12-04T15:00:00.000Z",
};
const events = (o: RecordOutcome[]) => o.flatMap((x) => ("event" in x ? [x.event] : []));
const problems = (o: RecordOutcome[]) => o.flatMap((x) => ("problem" in x ? [x] : []));

describe("CloudFront real-time logs", () => {
  it("reads a record of a configured subset, whatever order the subset was configured in", () => {
    const fields = realtimeFieldOrder(REALTIME_SUBSET);
    const [e] = events(parseRealtimeRecord(`${realtimeLine(fields)}\n`, fields, ctx));
    expect(e).toMatchObject({
      event_type: "cdn.request",
      client_ts: new Date(1796393109123).toISOString(),
      client: { ip: "2001:db8:85a3::", country: "DE" },
      cdn: {
        source: "cloudfront-realtime",
        pop: "FRA56-P3",
        uri: "/media/vid-1/1080p/seg_00007.m4s",
        status: 200,
        bytes: 1_048_876,
        ttfb_ms: 15,
        total_ms: 231,
        cache_result: "Miss",
        protocol: "https",
      },
    });
  });

  it("reads every one of the 69 fields when all are configured", () => {
    const fields = [...CLOUDFRONT_REALTIME_FIELDS];
    const line = realtimeLine(fields, {
      "cmcd-session-id": "view-42",
      "cmcd-content-id": "vid-1",
      "sc-range-start": "0",
      "sc-range-end": "99",
    });
    expect(line.split("\t")).toHaveLength(69);
    const [e] = events(parseRealtimeRecord(line, fields, ctx));
    expect(e!.cdn).toMatchObject({
      sid: "view-42",
      cid: "vid-1",
      range_start: 0,
      range_end: 99,
      request_id: "rt-req-0007",
    });
  });

  it("reads values by canonical position: the configured order does not matter, the field set does", () => {
    const set: RealtimeField[] = ["sc-status", "cs-uri-stem", "timestamp", "x-edge-location"];
    const line = "1796393109.500\t404\t/missing.m3u8\tIAD89-C1";
    const [e] = events(parseRealtimeRecord(line, realtimeFieldOrder(set), ctx));
    expect(e!.cdn).toMatchObject({ status: 404, uri: "/missing.m3u8", pop: "IAD89-C1" });
  });

  it("takes sid and cid from the cmcd-* fields, else the CMCD query, else the CMCD-* headers", () => {
    const fields = realtimeFieldOrder([
      "timestamp",
      "sc-status",
      "cs-uri-stem",
      "cs-uri-query",
      "cs-headers",
      "cmcd-session-id",
    ]);
    const headers = encodeURIComponent(
      'Host:cdn.example.com\nCMCD-Session:cid="vid-h",sid="from-headers"\nCMCD-Object:br=3000,ot=v\n',
    );
    const query = cmcdQuery('cid="vid-q",sid="from-query"');
    const read = (v: Partial<Record<RealtimeField, string>>) =>
      events(parseRealtimeRecord(realtimeLine(fields, v), fields, ctx))[0]!;
    expect(read({ "cs-headers": headers }).cdn).toMatchObject({ sid: "from-headers", cid: "vid-h" });
    expect(read({ "cs-headers": headers }).cmcd).toMatchObject({ br: [3000], ot: "v" });
    expect(read({ "cs-headers": headers, "cs-uri-query": query }).cdn).toMatchObject({
      sid: "from-query",
      cid: "vid-q",
    });
    expect(read({ "cs-headers": headers, "cs-uri-query": query, "cmcd-session-id": "from-field" }).cdn.sid).toBe(
      "from-field",
    );
    expect(read({}).cdn).not.toHaveProperty("sid");
  });

  it("splits a query off cs-uri-stem (the 2023 text: the stem holds the query) and reads its CMCD", () => {
    const fields = realtimeFieldOrder(["timestamp", "sc-status", "cs-uri-stem"]);
    const line = realtimeLine(fields, { "cs-uri-stem": `/seg_1.m4s?${cmcdQuery('sid="v-1"')}` });
    const [e] = events(parseRealtimeRecord(line, fields, ctx));
    expect(e!.cdn).toMatchObject({ uri: "/seg_1.m4s", sid: "v-1", query_present: true });
  });

  it("reads records of several lines line by line, and a bad line is a problem alone", () => {
    const fields = realtimeFieldOrder(REALTIME_SUBSET);
    const text = [
      realtimeLine(fields),
      "short\tline",
      realtimeLine(fields, { "sc-status": "2xx" }),
      realtimeLine(fields),
    ].join("\n");
    const out = parseRealtimeRecord(text, fields, ctx);
    expect(events(out)).toHaveLength(2);
    expect(problems(out).map((p) => [p.line, p.problem.reason])).toEqual([
      [2, "cdn_field_count"],
      [3, "cdn_bad_value"],
    ]);
    expect(problems(out)[0]!.problem.message).toContain("rt/shardId-000000000000/4961 line 2: 2 values");
  });

  it("makes ids from the edge request id (the same on every delivery), else from the record position", () => {
    const fields = realtimeFieldOrder(["timestamp", "sc-status", "cs-uri-stem", "x-edge-request-id"]);
    const line = realtimeLine(fields);
    const a = events(parseRealtimeRecord(line, fields, ctx))[0]!.event_id;
    const b = events(parseRealtimeRecord(line, fields, { ...ctx, position: "elsewhere" }))[0]!.event_id;
    expect(a).toBe(b);
    const noId = realtimeLine(fields, { "x-edge-request-id": "-" });
    const c = events(parseRealtimeRecord(noId, fields, ctx))[0]!.event_id;
    const d = events(parseRealtimeRecord(noId, fields, { ...ctx, position: "elsewhere" }))[0]!.event_id;
    expect(c).toBe(events(parseRealtimeRecord(noId, fields, ctx))[0]!.event_id);
    expect(c).not.toBe(d);
  });

  it("reads the local edge's nginx lines: \\xHH escapes decoded, source nginx", () => {
    const fields = realtimeFieldOrder(["timestamp", "sc-status", "cs-uri-stem", "cs-user-agent", "x-edge-result-type"]);
    const line = realtimeLine(fields, { "cs-user-agent": "curl/8.0 \\x22quoted\\x22", "x-edge-result-type": "Hit" });
    const [e] = events(parseRealtimeRecord(line, fields, { ...ctx, source: "nginx" }));
    expect(e!.user_agent?.original).toBe('curl/8.0 "quoted"');
    expect(e!.cdn).toMatchObject({ source: "nginx", cache_result: "Hit" });
  });
});
