import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from "@aws-sdk/client-kinesis";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_ENDPOINTS } from "../src/local/endpoints.ts";
import { localKinesisClient } from "../src/local/services/kinesis.ts";
import { edgeAccessLog, loadEdgeLogFields } from "../src/local/services/nginx.ts";
import { localS3Client } from "../src/local/services/seaweedfs.ts";
import { loadSettings } from "../src/local/settings.ts";

// Needs `npx reeltime infra up --only seaweedfs,kinesis,nginx,edge-shipper` (seaweedfs's provision
// gives the media bucket its anonymous read).
const EDGE = LOCAL_ENDPOINTS.edge;
const BUCKET = LOCAL_ENDPOINTS.s3.buckets.media;
const PREFIX = `edge-int/${randomUUID()}`;
const SEGMENT = randomBytes(64 * 1024);
const started = new Date(Date.now() - 5000);
const s3 = await localS3Client();
const keys: string[] = [];

/** The log's fields in the order its lines carry them. */
const FIELDS = (await loadEdgeLogFields()).map((f) => f.name);
type LogLine = Record<(typeof FIELDS)[number], string>;

function parse(line: string): LogLine {
  const values = line.split("\t");
  expect(values).toHaveLength(FIELDS.length);
  return Object.fromEntries(FIELDS.map((f, i) => [f, values[i]!])) as LogLine;
}

/** The access log line of the request whose answer carried this X-Amz-Cf-Id (nginx writes it as the request ends). */
async function logLine(requestId: string): Promise<LogLine> {
  const file = edgeAccessLog(loadSettings().stateDir);
  for (let i = 0; i < 40; i++) {
    const line = readFileSync(file, "utf8")
      .split("\n")
      .find((l) => l.split("\t")[FIELDS.indexOf("x-edge-request-id")] === requestId);
    if (line) return parse(line);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no line with x-edge-request-id ${requestId} in ${file}`);
}

/** GETs a path through the edge; the body is read so the request is over. */
async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${EDGE.url}${path}`, { headers });
  const body = Buffer.from(await res.arrayBuffer());
  const id = res.headers.get("x-amz-cf-id");
  expect(id).toMatch(/^[0-9a-f]{32}$/);
  return { res, body, line: await logLine(id!) };
}

async function put(name: string, Body: Buffer | string, ContentType: string): Promise<void> {
  const Key = `${PREFIX}/${name}`;
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body, ContentType }));
  keys.push(Key);
}

beforeAll(async () => {
  await put("seg_00001.m4s", SEGMENT, "video/iso.segment");
  await put("index.m3u8", "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:1\n", "application/vnd.apple.mpegurl");
});

afterAll(async () => {
  for (const Key of keys) await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key })).catch(() => undefined);
  s3.destroy();
});

describe("the local edge (nginx in front of the media bucket)", () => {
  it("reads its origin without credentials", async () => {
    const res = await fetch(`${LOCAL_ENDPOINTS.s3.endpoint}/${BUCKET}/${PREFIX}/seg_00001.m4s`);
    await res.arrayBuffer();
    expect(
      res.status,
      "SeaweedFS refuses anonymous reads of the media bucket: `reeltime infra up --only seaweedfs`",
    ).toBe(200);
  });

  it("logs a Miss, then a Hit for a different CMCD query: the query is logged but not in the cache key", async () => {
    const path = `/${PREFIX}/seg_00001.m4s`;
    const first = await get(`${path}?CMCD=bl%3D21300%2Csid%3D%22view-1%22`, { "user-agent": "reeltime-int\ttab" });
    expect(first.res.status).toBe(200);
    expect(first.body.equals(SEGMENT)).toBe(true);
    expect(first.res.headers.get("access-control-allow-origin")).toBe("*");
    const second = await get(`${path}?CMCD=bl%3D900%2Csid%3D%22view-1%22`);
    expect(second.body.equals(SEGMENT)).toBe(true);

    expect(first.line).toMatchObject({
      "sc-status": "200",
      "cs-method": "GET",
      "cs-protocol": "http",
      "cs-uri-stem": path,
      "cs-uri-query": "CMCD=bl%3D21300%2Csid%3D%22view-1%22",
      "x-edge-location": EDGE.location,
      "x-edge-result-type": "Miss",
      "x-edge-response-result-type": "Miss",
      "x-edge-detailed-result-type": "Miss",
      "sc-content-type": "video/iso.segment",
      "sc-content-len": String(SEGMENT.length),
      "cs-protocol-version": "HTTP/1.1",
      "c-ip": "127.0.0.1",
      "c-ip-version": "IPv4",
      "cs-user-agent": "reeltime-int\\x09tab",
      "sc-range-start": "-",
      "sc-range-end": "-",
    });
    expect(second.line).toMatchObject({
      "cs-uri-stem": path,
      "cs-uri-query": "CMCD=bl%3D900%2Csid%3D%22view-1%22",
      "x-edge-result-type": "Hit",
      "origin-fbl": "-",
      "time-to-first-byte": "0.000",
    });
    const ts = Number(first.line.timestamp);
    expect(first.line.timestamp).toMatch(/^\d{10}\.\d{3}$/);
    expect(Math.abs(ts * 1000 - Date.now())).toBeLessThan(60_000);
    expect(Number(first.line["sc-bytes"])).toBeGreaterThan(SEGMENT.length);
    // nginx takes $request_time from its cached wall clock and $upstream_header_time from its
    // monotonic clock, each cut to whole milliseconds, so the two can disagree by 1 ms (seen in
    // CI: time-taken 0.002, time-to-first-byte 0.003). Anything more is a wrong field.
    expect(Number(first.line["time-taken"])).toBeGreaterThanOrEqual(Number(first.line["time-to-first-byte"]) - 0.001);
    expect(Number(first.line["origin-fbl"])).toBeGreaterThanOrEqual(0);
  });

  it("answers a Range request from the cache and logs the range", async () => {
    const { res, body, line } = await get(`/${PREFIX}/seg_00001.m4s`, { range: "bytes=100-1099" });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes 100-1099/${SEGMENT.length}`);
    expect(body.equals(SEGMENT.subarray(100, 1100))).toBe(true);
    expect(line).toMatchObject({
      "sc-status": "206",
      "sc-range-start": "100",
      "sc-range-end": "1099",
      "sc-content-len": "1000",
      "x-edge-result-type": "Hit",
    });
  });

  it("logs a missing object as an Error", async () => {
    const { res, line } = await get(`/${PREFIX}/no-such-segment.m4s?CMCD=sid%3D%22view-1%22`);
    expect(res.status).toBe(404);
    expect(line).toMatchObject({
      "sc-status": "404",
      "x-edge-result-type": "Error",
      "x-edge-response-result-type": "Error",
    });
  });

  it("keeps a playlist for one to two seconds: a changed live playlist is served after that", async () => {
    const path = `/${PREFIX}/index.m3u8`;
    const first = await get(path);
    expect(first.res.headers.get("cache-control")).toBe("max-age=1");
    expect(first.body.toString()).toContain("EXT-X-MEDIA-SEQUENCE:1");
    const soon = await get(path);
    expect(soon.line["x-edge-result-type"]).toBe("Hit");
    await put("index.m3u8", "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:2\n", "application/vnd.apple.mpegurl");
    // nginx counts validity in whole seconds: a 1 s entry lives 1 to 2 s.
    await new Promise((r) => setTimeout(r, 2200));
    const later = await get(path);
    expect(later.body.toString()).toContain("EXT-X-MEDIA-SEQUENCE:2");
    expect(later.line["x-edge-result-type"]).not.toBe("Hit");
  });

  it("answers the players' CORS preflight", async () => {
    const res = await fetch(`${EDGE.url}/${PREFIX}/seg_00001.m4s`, {
      method: "OPTIONS",
      headers: { origin: "http://127.0.0.1:3000", "access-control-request-headers": "range" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-headers")).toContain("Range");
  });

  it("ships every line into the Kinesis stream reeltime.cdn.realtime, one record each", async () => {
    const { line } = await get(`/${PREFIX}/seg_00001.m4s?CMCD=sid%3D%22view-2%22`);
    const id = line["x-edge-request-id"];
    const kinesis = await localKinesisClient();
    try {
      const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: EDGE.realtimeLogStream }));
      const iterators = await Promise.all(
        (Shards ?? []).map(
          async (s) =>
            (
              await kinesis.send(
                new GetShardIteratorCommand({
                  StreamName: EDGE.realtimeLogStream,
                  ShardId: s.ShardId,
                  ShardIteratorType: "AT_TIMESTAMP",
                  Timestamp: started,
                }),
              )
            ).ShardIterator,
        ),
      );
      let found: string | undefined;
      for (let round = 0; round < 40 && !found; round++) {
        for (let i = 0; i < iterators.length && !found; i++) {
          const it = iterators[i];
          if (!it) continue;
          const res = await kinesis.send(new GetRecordsCommand({ ShardIterator: it }));
          iterators[i] = res.NextShardIterator;
          for (const r of res.Records ?? []) {
            const text = Buffer.from(r.Data!).toString("utf8");
            if (text.includes(id)) found = text;
          }
        }
        if (!found) await new Promise((r) => setTimeout(r, 250));
      }
      expect(found, `no record with x-edge-request-id ${id} in ${EDGE.realtimeLogStream}`).toBeDefined();
      expect(found!.endsWith("\n")).toBe(false);
      expect(parse(found!)).toEqual(line);
    } finally {
      kinesis.destroy();
    }
  });
});
