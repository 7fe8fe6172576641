// The live page's live streams panel as production serves it: the ingest API started the way
// `reeltime ingest` starts it (startIngest, the archive from REELTIME_ARCHIVE=s3 on the local S3
// server, SeaweedFS) answers GET /v1/live/viewers from the partition snapshots a real viewers
// processor wrote to that bucket, and headless Chromium shows them on /live: the tiles, one row
// per stream of the token's app (another app's stream left out), a new viewer without a reload.
// An ingest whose archive is unreachable shows the error in the panel instead.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Archive, type ConsumedBatch, createArchive } from "@reeltime/connectors";
import { exampleEvent } from "@reeltime/events";
import { CHROMIUM, LOCAL_ENDPOINTS } from "@reeltime/infra";
import { startIngest } from "@reeltime/ingest-api";
import { type Committer, LIVE_SNAPSHOT_PREFIX } from "@reeltime/processing";
import { ConnectionEnv, createRegistry, loadEnv } from "@reeltime/runtime";
import { ViewersProcessor } from "@reeltime/stream-processors";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = Math.random().toString(36).slice(2, 8);
const APP = `live-viewers-${run}`;
const TOKEN = "rt_liveviewers_0123456789abcdef";
// A topic name of this run's own, so its snapshot keys never meet a real processor's in the shared bucket.
const TOPIC = `reeltime.playback.test-${run}`;

let dir: string;
let archive: Archive;
let viewers: ViewersProcessor;
let ingest: Awaited<ReturnType<typeof startIngest>> | undefined;
let broken: Awaited<ReturnType<typeof startIngest>> | undefined;
let browser: Browser | undefined;
let page: Page;

/** The settings `reeltime ingest` reads, on the local S3 server (credentials from the integration tier's env). */
const ingestEnv = (data: string, endpoint: string): NodeJS.ProcessEnv => ({
  PORT: "0",
  HOST: "127.0.0.1",
  REELTIME_DATA_DIR: data,
  REELTIME_READ_TOKENS: `${APP}:${TOKEN}`,
  REELTIME_WRITE_KEYS: `${APP}:wk_liveviewers_0123456789abcdef`,
  REELTIME_ARCHIVE: "s3",
  REELTIME_S3_ENDPOINT: endpoint,
  REELTIME_S3_BUCKET: LOCAL_ENDPOINTS.s3.buckets.archive,
  AWS_REGION: LOCAL_ENDPOINTS.region,
});

let n = 0;
/** A live view's event `ago` ms before now, as ingest stores it. */
function event(app: string, stream: string, view: string, seq: number, type: string, ago: number, extra = {}) {
  const at = new Date(Date.now() - ago).toISOString();
  return {
    event_id: `${run}-${n++}`,
    event_type: `playback.${type}`,
    seq,
    client_ts: at,
    received_at: at,
    app_id: app,
    view_id: `${run}-${view}`,
    video: { id: stream, stream_type: "live" },
    ...extra,
  };
}

/** A view that started 5 s ago and is playing: its heartbeat reports its totals and live latency. */
const watching = (app: string, stream: string, view: string, latencyMs: number, rebufferMs = 0) => [
  event(app, stream, view, 0, "view_start", 5000),
  event(app, stream, view, 1, "playing", 4000),
  event(app, stream, view, 2, "heartbeat", 1000, {
    state: "playing",
    stats: { playing_ms: 1000 - rebufferMs, rebuffer_ms: rebufferMs },
    live: { latency_ms: latencyMs },
  }),
];

function batch(partition: string, events: object[]): ConsumedBatch {
  return {
    topic: TOPIC,
    partition,
    messages: events.map((e, i) => ({
      topic: TOPIC,
      partition,
      offset: String(n + i),
      key: (e as { view_id: string }).view_id,
      value: new TextEncoder().encode(JSON.stringify(e)),
      headers: {},
      timestamp: Date.now(),
    })),
  };
}

const holding: Committer = Object.assign(async () => undefined, {
  hold: () => 1,
  reread: async () => undefined,
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-live-viewers-"));
  archive = await createArchive(loadEnv(ConnectionEnv, ingestEnv(dir, LOCAL_ENDPOINTS.s3.endpoint)));
  await archive.start();
  // The writer: the viewers processor, its two partitions' snapshots in the bucket.
  viewers = new ViewersProcessor({ registry: createRegistry("live-viewers-int"), archive });
  await viewers.handle(
    batch("0", [
      ...watching(APP, "launch", "a", 4000, 100),
      ...watching(APP, "launch", "b", 6000),
      ...watching("someone-else", "rival", "x", 1000),
    ]),
    holding,
  );
  await viewers.handle(
    batch("1", [...watching(APP, "launch", "c", 5000), ...watching(APP, "backstage", "d", 3000)]),
    holding,
  );
  await viewers.tick(holding);

  ingest = await startIngest({ env: ingestEnv(join(dir, "ingest"), LOCAL_ENDPOINTS.s3.endpoint) });
  browser = await chromium.launch({ executablePath: CHROMIUM.executablePath, args: [...CHROMIUM.args] });
  page = await browser.newPage({ viewport: { width: 1400, height: 1500 } });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await ingest?.close();
  await broken?.close();
  if (archive) {
    const ours = await archive.list(`${LIVE_SNAPSHOT_PREFIX}${TOPIC}/`);
    await archive.delete(ours.map((o) => o.key));
    await archive.shutdown();
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

const live = (name: string) => page.locator(`[data-live="${name}"]`);

describe("the live page's live streams, served by ingest from S3", () => {
  it("shows the token's app's streams from the viewers processor's snapshots and follows a new viewer", async () => {
    const r = await fetch(`${ingest!.address}/v1/live/viewers`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { streams: { stream: string }[] }).streams.map((s) => s.stream)).toEqual([
      "launch",
      "backstage",
    ]);

    await page.goto(`${ingest!.address}/live#token=${TOKEN}&app=${APP}&minutes=60`);
    await expect.poll(() => live("viewers").textContent(), { timeout: 15_000 }).toBe("4");
    expect(await page.locator("#live-streams").isVisible()).toBe(true);
    // launch: a (latency 4 s, 100 of 1000 ms rebuffering), b (6 s), c (5 s, the other partition).
    expect(await live("startup_failures").textContent()).toBe("0");
    expect(await live("rebuffer_ratio").textContent()).toBe("3.3 %");
    expect(await live("latency_p95_ms").textContent()).toBe("5.90 s");
    expect(await page.locator("#live-note").textContent()).toMatch(/^2 streams, worst ratio and p95 shown/);
    const rows = await page.locator("#live-table tr").allInnerTexts();
    expect(rows.slice(1).map((row) => row.split("\t"))).toEqual([
      ["launch", "3", "3", "0", "3.3 %", "5.00 s", "5.90 s"],
      ["backstage", "1", "1", "0", "0.0 %", "3.00 s", "3.00 s"],
    ]);

    // One more viewer of launch: the processor's next tick, then the page's next poll.
    await viewers.handle(batch("1", watching(APP, "launch", "e", 5000)), holding);
    await viewers.tick(holding);
    await expect.poll(() => live("viewers").textContent(), { timeout: 15_000 }).toBe("5");
    expect((await page.locator("#live-table tr").nth(1).innerText()).split("\t").slice(0, 2)).toEqual(["launch", "4"]);
  });

  it("says so in the panel when ingest cannot reach the archive", async () => {
    broken = await startIngest({ env: ingestEnv(join(dir, "broken"), "http://127.0.0.1:1") });
    const r = await fetch(`${broken.address}/v1/live/viewers`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("5");
    expect(await r.json()).toEqual({
      error: {
        code: "REELTIME_ERR_ARCHIVE_UNAVAILABLE",
        message: "the archive is unreachable or refusing for now; retry later",
      },
    });
    // Events are still taken.
    const post = await fetch(`${broken.address}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-reeltime-key": "wk_liveviewers_0123456789abcdef" },
      body: JSON.stringify([exampleEvent("playback.view_start")]),
    });
    expect(post.status).toBe(200);

    await page.goto(`${broken.address}/live#token=${TOKEN}&app=${APP}&minutes=60`);
    await expect
      .poll(() => page.locator("#live-note").textContent(), { timeout: 20_000 })
      .toBe("REELTIME_ERR_ARCHIVE_UNAVAILABLE: the archive is unreachable or refusing for now; retry later");
    expect(await page.locator("#live-streams").isVisible()).toBe(true);
  });
});
