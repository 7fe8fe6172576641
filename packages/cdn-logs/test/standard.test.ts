import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { validateEvent } from "@reeltime/events";
import { describe, expect, it } from "vitest";
import { fileLines } from "../src/lines.ts";
import { type LineOutcome, parseStandardLog } from "../src/standard.ts";
import {
  AWS_STANDARD_SAMPLE,
  cmcdQuery,
  STANDARD_FIELDS,
  STANDARD_FIELDS_OLD,
  standardFile,
  standardLine,
} from "./fixtures/cloudfront.ts";

const ctx = {
  logFile: "s3://logs/E2EXAMPLE.2026-12-04-14.abcd1234.gz",
  identity: "etag-1",
  receivedAt: "2026-12-04T15:00:00.000Z",
};

async function parse(file: string | Uint8Array, c = ctx): Promise<LineOutcome[]> {
  const bytes = typeof file === "string" ? Buffer.from(file) : file;
  const out: LineOutcome[] = [];
  for await (const o of parseStandardLog(fileLines(Readable.from([bytes])), c)) out.push(o);
  return out;
}
const events = (o: LineOutcome[]) => o.flatMap((x) => ("event" in x ? [x.event] : []));
const problems = (o: LineOutcome[]) => o.flatMap((x) => ("problem" in x ? [x] : []));

describe("CloudFront standard logs", () => {
  it("reads AWS's example line into a valid cdn.request", async () => {
    const [e] = events(
      await parse(standardFile([AWS_STANDARD_SAMPLE]), { ...ctx, receivedAt: "2019-12-04T22:00:00.000Z" }),
    );
    expect(validateEvent(e, 0, { now: new Date("2019-12-05T00:00:00Z") }).ok).toBe(true);
    expect(e).toMatchObject({
      event_type: "cdn.request",
      client_ts: "2019-12-04T21:02:31.000Z",
      client: { ip: "192.0.2.0" },
      user_agent: {
        original: expect.stringMatching(/^Mozilla\/5\.0 \(Windows NT 10\.0; Win64; x64\)/),
        name: "Chrome",
      },
      seq: 3,
      cdn: {
        source: "cloudfront-standard",
        pop: "LAX1",
        host: "d111111abcdef8.cloudfront.net",
        method: "GET",
        uri: "/index.html",
        status: 200,
        bytes: 392,
        request_bytes: 23,
        total_ms: 1,
        ttfb_ms: 1,
        cache_result: "Hit",
        response_result: "Hit",
        detailed_result: "Hit",
        protocol: "https",
        protocol_version: "HTTP/2.0",
        content_type: "text/html",
        content_length: 78,
        log_file: ctx.logFile,
        line: 3,
      },
    });
    expect(e!.cdn).not.toHaveProperty("range_start");
    expect(e!.cdn).not.toHaveProperty("sid");
  });

  it("reads gzip the same as plain text", async () => {
    const text = standardFile([AWS_STANDARD_SAMPLE, standardLine()]);
    const plain = events(await parse(text));
    const gz = events(await parse(gzipSync(Buffer.from(text))));
    expect(gz).toEqual(plain);
    expect(gz).toHaveLength(2);
  });

  it("maps by the #Fields names, not by position: a shuffled header reads the same", async () => {
    const shuffled = [...STANDARD_FIELDS].reverse();
    const a = events(await parse(standardFile([standardLine()])));
    const b = events(await parse(standardFile([standardLine({}, shuffled)], shuffled)));
    expect(b[0]!.cdn).toEqual(a[0]!.cdn);
    expect(b[0]!.cdn).toMatchObject({ range_start: 0, range_end: 524_287, status: 206, ttfb_ms: 12, total_ms: 84 });
  });

  it("reads older files with fewer fields (no ttfb, ranges or detailed result)", async () => {
    const [e] = events(await parse(standardFile([standardLine({}, STANDARD_FIELDS_OLD)], STANDARD_FIELDS_OLD)));
    expect(e!.cdn).toMatchObject({ status: 206, total_ms: 84, cache_result: "Hit" });
    expect(e!.cdn).not.toHaveProperty("ttfb_ms");
    expect(e!.cdn).not.toHaveProperty("range_start");
  });

  it("tolerates a trailing tab, treats - as empty and URL-decodes values", async () => {
    const line = `${standardLine({ "cs-uri-stem": "/media/my%20video/master.m3u8", "x-edge-location": "-" })}\t`;
    const [e] = events(await parse(standardFile([line])));
    expect(e!.cdn.uri).toBe("/media/my video/master.m3u8");
    expect(e!.cdn).not.toHaveProperty("pop");
  });

  it("sends malformed lines to problems with their line numbers and goes on", async () => {
    const file = standardFile([
      standardLine({ "x-edge-request-id": "ok-1" }),
      "garbage\tline",
      standardLine({ "sc-status": "abc" }),
      standardLine({ date: "2026-13-45" }),
      standardLine({ "x-edge-request-id": "ok-2" }),
    ]);
    const out = await parse(file);
    expect(events(out).map((e) => e.cdn.request_id)).toEqual(["ok-1", "ok-2"]);
    expect(problems(out).map((p) => [p.line, p.problem.reason])).toEqual([
      [4, "cdn_field_count"],
      [5, "cdn_bad_value"],
      [6, "cdn_bad_value"],
    ]);
    expect(problems(out)[0]!.problem.message).toMatch(/^line 4: 2 values, the #Fields header names 33/);
    expect(problems(out)[0]!.text).toBe("garbage\tline");
  });

  it("refuses lines before any #Fields header", async () => {
    const out = await parse(`${standardLine()}\n`);
    expect(problems(out)).toMatchObject([{ line: 1, problem: { reason: "cdn_no_header" } }]);
  });

  it("extracts the CMCD session and content ids from the query, also when the log encoded it again", async () => {
    const dict = 'bl=21300,br=3200,cid="vid-1",ot=v,sid="6e2fb550-c457-11e9-bb97-0800200c9a66",su';
    const once = cmcdQuery(dict);
    const twice = encodeURIComponent(once).replace("CMCD%3D", "CMCD=");
    for (const q of [once, twice, `foo=1&${once}`]) {
      const [e] = events(await parse(standardFile([standardLine({ "cs-uri-query": q })])));
      expect(e!.cdn).toMatchObject({ sid: "6e2fb550-c457-11e9-bb97-0800200c9a66", cid: "vid-1", query_present: true });
      expect(e!.cmcd).toMatchObject({
        bl: [21300],
        br: [3200],
        ot: "v",
        su: true,
        sid: "6e2fb550-c457-11e9-bb97-0800200c9a66",
      });
    }
  });

  it("makes the same event ids from the same file identity and lines, other ids from another file", async () => {
    const file = standardFile([standardLine(), standardLine()]);
    const a = events(await parse(file)).map((e) => e.event_id);
    const b = events(await parse(file)).map((e) => e.event_id);
    const c = events(await parse(file, { ...ctx, identity: "etag-2" })).map((e) => e.event_id);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(2);
    expect(c.some((id) => a.includes(id))).toBe(false);
  });

  it("rejects a corrupt gzip file from the iteration", async () => {
    const gz = gzipSync(Buffer.from(standardFile([standardLine()])));
    const broken = Buffer.concat([gz.subarray(0, 20), Buffer.from("not gzip at all")]);
    await expect(parse(broken)).rejects.toThrow();
  });
});

describe("client address", () => {
  it("is c-ip truncated, never the x-forwarded-for header a viewer can set", async () => {
    const line = standardLine({ "c-ip": "198.51.100.23", "x-forwarded-for": "203.0.113.99" });
    const [e] = events(await parse(standardFile([line])));
    expect(e!.client).toEqual({ ip: "198.51.100.0" });
  });
});
