import { randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import { createS3Archive } from "@reeltime/archive-s3";
import { TOPICS } from "@reeltime/events";
import { RecordingBus } from "@reeltime/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { importCdnLogs } from "../src/import.ts";
import { ImportLedger } from "../src/ledger.ts";
import { openLogSource } from "../src/sources.ts";
import { AWS_STANDARD_SAMPLE, cmcdQuery, standardFile, standardLine } from "./fixtures/cloudfront.ts";

// The local S3 server (SeaweedFS, `reeltime infra up`); credentials from the integration tier's env.
const env = {
  AWS_REGION: process.env.AWS_REGION ?? "us-east-1",
  REELTIME_S3_ENDPOINT: process.env.REELTIME_S3_ENDPOINT ?? "http://127.0.0.1:9000",
};
const bucket = process.env.REELTIME_S3_BUCKET ?? "reeltime-archive";
const prefix = `test-runs/${randomUUID()}/cdn-logs/`;
const archive = createS3Archive({ ...env, REELTIME_S3_BUCKET: bucket });
const written: string[] = [];

afterAll(async () => {
  await archive.delete(written);
  await archive.shutdown();
});

describe("reeltime cdn import from S3 (SeaweedFS)", () => {
  it("imports gzip standard logs from a prefix once: a second import publishes nothing", async () => {
    const files = {
      "E2EXAMPLE.2026-12-04-14.0001.gz": gzipSync(
        standardFile([
          AWS_STANDARD_SAMPLE,
          standardLine({ "cs-uri-query": cmcdQuery('sid="view-s3",cid="vid-1"') }),
          "not\ta\tline",
        ]),
      ),
      "E2EXAMPLE.2026-12-04-15.0002.gz": gzipSync(standardFile([standardLine(), standardLine()])),
    };
    for (const [name, body] of Object.entries(files)) {
      await archive.put(`${prefix}${name}`, body, { contentType: "application/gzip" });
      written.push(`${prefix}${name}`);
    }
    const location = `s3://${bucket}/${prefix}`;
    const bus = new RecordingBus();
    const source = openLogSource(location, env);
    const listed = await source.list();
    expect(listed.map((f) => f.uri)).toEqual(Object.keys(files).map((n) => `${location}${n}`));
    expect(listed.every((f) => /#[0-9a-f-]+#\d+$/.test(f.identity))).toBe(true);
    for (const f of listed) written.push(ImportLedger.keyOf(f.identity));

    const first = await importCdnLogs({ bus, archive, source });
    expect(first).toMatchObject({ files: 2, skipped: 0, events: 4, deadLetters: 1, failed: [] });
    const cdn = bus.published.filter((p) => p.topic === TOPICS.cdn);
    const events = cdn.flatMap(
      (p) => JSON.parse(new TextDecoder().decode(p.message.value)) as { cdn: { sid?: string } }[],
    );
    expect(events).toHaveLength(4);
    expect(events.filter((e) => e.cdn.sid === "view-s3")).toHaveLength(1);
    const count = bus.published.length;

    const second = await importCdnLogs({ bus, archive, source: openLogSource(location, env) });
    expect(second).toMatchObject({ files: 2, skipped: 2, events: 0, deadLetters: 0 });
    expect(bus.published.length).toBe(count);
    source.close();
  });
});
