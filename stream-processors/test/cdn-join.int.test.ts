// The CDN join on real requests (issue 21): segments fetched through the local edge (Debian's
// nginx with proxy_cache in front of the media bucket on SeaweedFS) with the view's id as CMCD
// session id in the query, as hls.js sends it; nginx logs each request in CloudFront's real-time
// layout, the edge shipper puts the lines on the local Kinesis stream, the real-time log consumer
// turns them into cdn.request events, and the delivery processor and the sessionizer give the
// view its delivery fields. The expected figures are the requests this test made and what it
// knows of the cache (first fetch of an object a Miss, later ones Hits).
//
// Needs `npx reeltime infra up` (seaweedfs, kinesis, nginx, edge-shipper).
import { randomBytes, randomUUID } from "node:crypto";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { DEFAULT_REALTIME_STREAM, runRealtimeConsumer } from "@reeltime/cdn-logs";
import { type Archive, type Bus, createBus, type SearchStore } from "@reeltime/connectors";
import type { ReeltimeEvent, ViewRecord } from "@reeltime/events";
import { LOCAL_ENDPOINTS, loadEdgeLogFields, localS3Client } from "@reeltime/infra";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProcessors } from "../src/service.ts";
import { embeddedStores, publishAll, waitFor } from "./fixtures.ts";
import { timeline } from "./sessionizer/timeline.ts";

const run = randomUUID().slice(0, 8);
const VIEW = `cdn-join-${run}`;
const APP = "cdn-join";
const PREFIX = `media/cdn-join-${run}`;
const log = createLogger("cdn-join", { level: process.env.LOG_LEVEL ?? "silent" });

let stores: Awaited<ReturnType<typeof embeddedStores>>;
let bus: Bus;
let search: SearchStore;
let archive: Archive;
let source: Bus;

beforeAll(async () => {
  stores = await embeddedStores("cdn-join");
  ({ bus, search, archive } = stores);
  // The edge's stream on the local Kinesis emulator; shard leases in files under the scratch folder.
  source = await createBus(
    loadEnv(ConnectionEnv, {
      REELTIME_BUS: "kinesis",
      REELTIME_KINESIS_ENDPOINT: process.env.REELTIME_KINESIS_ENDPOINT ?? LOCAL_ENDPOINTS.kinesis.endpoint,
      REELTIME_DATA_DIR: join(stores.dir, "leases"),
      REELTIME_KINESIS_LEASE_MS: "3000",
      REELTIME_KINESIS_POLL_MS: "200",
      REELTIME_BUS_TIMEOUT_MS: "20000",
      AWS_REGION: LOCAL_ENDPOINTS.region,
    }),
  );
  await source.start();
  const s3 = await localS3Client();
  for (const n of [0, 1, 2])
    await s3.send(
      new PutObjectCommand({
        Bucket: LOCAL_ENDPOINTS.s3.buckets.media,
        Key: `${PREFIX}/seg_0000${n}.ts`,
        Body: randomBytes(48 * 1024 + n),
        ContentType: "video/mp2t",
      }),
    );
}, 120_000);
afterAll(async () => {
  await source?.shutdown();
  await stores?.close();
});

/** hls.js's request-mode CMCD: one `CMCD` query parameter, a structured-field dictionary. */
const cmcd = (br: number) => `CMCD=${encodeURIComponent(`br=${br},ot=v,sf=h,sid="${VIEW}",st=v`)}`;

async function fetchThroughEdge(path: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${LOCAL_ENDPOINTS.edge.url}/${path}`, { headers });
  await res.arrayBuffer();
  return res.status;
}

describe("CDN requests through the local edge join their view", () => {
  it("the view's delivery fields count the requests that named it, with the edge's cache results", async () => {
    const fields = (await loadEdgeLogFields()).map((f) => f.name);
    const consumer = await runRealtimeConsumer(
      { source, out: bus, log, registry: createRegistry("cdn-join") },
      { stream: DEFAULT_REALTIME_STREAM, fields, source: "nginx", appId: APP, group: `cdn-join-${run}` },
    );
    const processors = await startProcessors(
      { bus, search, archive, log, registry: createRegistry("cdn-join-proc") },
      ["delivery", "sessionizer"],
      { snapshotEveryMs: 200, lagIntervalMs: 500 },
    );
    let record: ViewRecord | undefined;
    try {
      const sdk = timeline(
        [
          [0, "view_start"],
          [700, "startup_complete", { startup_ms: 700 }],
        ],
        VIEW,
      ).map((e) => ({ ...e, app_id: APP, session_id: VIEW }));
      await publishAll(bus, sdk as ReeltimeEvent[]);

      // Three segments, each fetched twice with CMCD (a Miss, then a Hit), one range of a cached
      // one (a Hit), and a request without CMCD that names no view.
      const statuses: number[] = [];
      for (const n of [0, 1, 2]) statuses.push(await fetchThroughEdge(`${PREFIX}/seg_0000${n}.ts?${cmcd(800)}`));
      for (const n of [0, 1, 2]) statuses.push(await fetchThroughEdge(`${PREFIX}/seg_0000${n}.ts?${cmcd(2400)}`));
      statuses.push(await fetchThroughEdge(`${PREFIX}/seg_00001.ts?${cmcd(2400)}`, { range: "bytes=0-1023" }));
      await fetchThroughEdge(`${PREFIX}/seg_00002.ts`);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 206]);

      await waitFor(
        "the view's CDN figures",
        async () => {
          record = await search.getView(VIEW);
          return record?.cdn_requests === 7;
        },
        90_000,
      );
    } finally {
      await processors.stop();
      await consumer.stop();
    }
    expect(record).toMatchObject({ app_id: APP, startup_ms: 700, cdn_requests: 7, cdn_cache_hits: 4, cdn_errors: 0 });
    expect(record!.cdn_cache_hit_ratio).toBeCloseTo(4 / 7, 4);
    // Six whole segments (48 KiB and a few bytes each) and one 1 KiB range, headers on top.
    expect(record!.cdn_bytes).toBeGreaterThan(6 * 48 * 1024 + 1024);
    expect(record!.cdn_bytes).toBeLessThan(6 * 49 * 1024 + 2048 + 7 * 2048);
    expect(record!.cdn_pops).toHaveLength(1);
    expect(record!.cdn_ttfb_p50_ms).toBeGreaterThanOrEqual(0);
  }, 180_000);
});
