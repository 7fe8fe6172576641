import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type StoredEvent, splitRecord } from "@reeltime/connectors";
import { type Datasource, GENERATED_DIR, grafanaEsRequest, rowsOf } from "@reeltime/dashboards";
import { TOPICS, type ViewRecord } from "@reeltime/events";
import { CHROMIUM, LOCAL_ENDPOINTS, localServicesEnv } from "@reeltime/infra";
import { createTrinoEngine } from "@reeltime/query-trino";
import { trinoScratch } from "@reeltime/query-trino/testing";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type DevHandle, startDev } from "../src/dev/server.ts";

/** The player page: hls.js and the SDK from the stack itself; the page measures with its own clock. */
const page = (o: { writeKey: string; videoId: string }) => `<!doctype html><html><body>
<video id="v" muted playsinline width="640" height="360"></video>
<script src="/assets/hls.min.js"></script><script src="/assets/reeltime.min.js"></script><script src="/assets/reeltime-hls.min.js"></script>
<script>
  window.marks = { requested: 0, playing: [], waiting: [] };
  const video = document.getElementById("v");
  for (const t of ["waiting", "playing"]) video.addEventListener(t, () => window.marks[t].push(performance.now()));
  const tracker = Reeltime.createTracker({ endpoint: location.origin, writeKey: ${JSON.stringify(o.writeKey)}, appId: "demo",
    plugins: [ReeltimeHls.hlsPlugin({ version: Hls.version })], flushIntervalMs: 500 });
  const hls = new Hls({ maxBufferLength: 4, maxMaxBufferLength: 4, startLevel: 0 });
  hls.loadSource("/media/${o.videoId}/master.m3u8");
  hls.attachMedia(video);
  window.att = tracker.attach(video, { hls, video: { id: ${JSON.stringify(o.videoId)}, title: "e2e clip" } });
  window.tracker = tracker;
  window.play = () => { window.marks.requested = performance.now(); return video.play().then(() => true); };
</script></body></html>`;

/**
 * A front proxy for the browser: the page, and everything else passed through to the stack,
 * except media segments matching a held pattern, which wait until released (a real stall).
 */
async function frontProxy(target: string, html: () => string) {
  let hold:
    | { pattern: RegExp; release: () => void; gate: Promise<void>; hit?: () => void; requested: Promise<void> }
    | undefined;
  const server: Server = createServer(async (req, res) => {
    const path = req.url ?? "/";
    if (path === "/play") return void res.writeHead(200, { "content-type": "text/html" }).end(html());
    if (hold?.pattern.test(path)) {
      hold.hit?.();
      await hold.gate;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k]) => !["host", "connection", "content-length"].includes(k)),
    ) as Record<string, string>;
    const upstream = await fetch(`${target}${path}`, {
      method: req.method ?? "GET",
      headers,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    const out: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (!["content-encoding", "content-length", "transfer-encoding", "connection"].includes(k)) out[k] = v;
    });
    res.writeHead(upstream.status, out).end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold(pattern: RegExp) {
      let release: () => void = () => undefined;
      let hit: () => void = () => undefined;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const requested = new Promise<void>((r) => {
        hit = r;
      });
      hold = { pattern, release, gate, hit, requested };
      return hold;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const REAL = localServicesEnv();

describe.each([
  ["real Kafka, Elasticsearch and S3 (SeaweedFS)", REAL],
  ["the embedded default", {} as Record<string, string>],
])("end to end on %s", (_name, connections) => {
  let dir: string;
  let dev: DevHandle;
  let proxy: Awaited<ReturnType<typeof frontProxy>>;
  let context: BrowserContext;
  const videoId = `e2e-${Date.now().toString(36)}`;
  // On the real services the archive goes to a bucket of this run with a Trino schema over it
  // (the contract's Trino DDL), so the same view is also read through Trino.
  let trino: Awaited<ReturnType<typeof trinoScratch>> | undefined;
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "reeltime-e2e-"));
    const clip = join(dir, `${videoId}.mp4`);
    // 12 s, 640x360: the ladder gives 360p and 240p, 2 s segments.
    const ff = spawnSync("ffmpeg", [
      ...["-hide_banner", "-loglevel", "error", "-y"],
      ...["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=12"],
      ...["-f", "lavfi", "-i", "sine=frequency=440:duration=12"],
      ...["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", clip],
    ]);
    expect(ff.status, String(ff.stderr)).toBe(0);
    if (connections === REAL) trino = await trinoScratch([day(-1), day(1)]);
    dev = await startDev({
      port: 0,
      host: "127.0.0.1",
      dataDir: join(dir, "data"),
      video: clip,
      print: () => undefined,
      connections: trino ? { ...connections, REELTIME_S3_BUCKET: trino.bucket } : connections,
      tuning: { indexer: { maxDelayMs: 100 }, archiver: { maxAgeMs: 1000 }, snapshotEveryMs: 300 },
    });
    expect(dev.videoId).toBe(videoId); // 1. the pipeline transcoded the clip
    proxy = await frontProxy(dev.url, () => page({ writeKey: dev.writeKey, videoId }));
    context = await chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: CHROMIUM.executablePath,
      headless: true,
      args: [...CHROMIUM.args],
    });
  }, 300_000);

  afterAll(async () => {
    await context?.close();
    await proxy?.close();
    await dev?.close();
    await trino?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it("plays with a forced rebuffer, and every stage sees the same view", async () => {
    // Hold the third video segment of every rendition (CMAF .m4s by default, .ts with the MPEG-TS
    // option): playback stalls once the buffer runs dry.
    const held = proxy.hold(/\/media\/[^/]+\/[^/]+\/seg_00002\.(m4s|ts)$/);
    const tab = await context.newPage();
    await tab.goto(`${proxy.url}/play`);
    // Page-side code runs in the browser; it is passed as text (this project compiles without DOM types).
    await tab.evaluate("window.play()");
    await held.requested;
    // A stall after the first frame: a `waiting` later than the first `playing`.
    await tab.waitForFunction(
      "window.marks.playing.length > 0 && window.marks.waiting.some((w) => w > window.marks.playing[0])",
      undefined,
      { timeout: 30_000 },
    );
    await tab.waitForTimeout(1500);
    held.release();
    await tab.waitForFunction('document.getElementById("v").ended', undefined, { timeout: 60_000 });
    const seen = (await tab.evaluate(
      "window.tracker.flush().then(() => ({ viewId: window.att.viewId(), m: window.att.metrics() }))",
    )) as { viewId: string; m: { startupMs: number; rebufferCount: number; rebufferMs: number } };
    const flushedAt = Date.now();
    expect(seen.m.rebufferCount).toBeGreaterThanOrEqual(1);

    // 4. /v1/events/last shows the view's end within 3 s of the flush.
    let last: StoredEvent[] = [];
    while (Date.now() - flushedAt < 3000) {
      const res = await fetch(`${dev.url}/v1/events/last?view_id=${seen.viewId}&n=100`, {
        headers: { authorization: `Bearer ${dev.readToken}` },
      });
      last = ((await res.json()) as { events: StoredEvent[] }).events;
      if (last.some((e) => e.event_type === "playback.view_end")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(last.map((e) => e.event_type)).toContain("playback.view_end");
    expect(Date.now() - flushedAt).toBeLessThan(3000);

    // 3. the events are on the bus, in order for the view.
    const onBus: number[] = [];
    const sub = await dev.bus.consume({
      group: `e2e-check-${Date.now()}`,
      topics: [TOPICS.playback],
      handler: async (b) => {
        for (const m of b.messages.flatMap((r) => {
          const content = splitRecord(r);
          return "messages" in content ? content.messages : [r];
        })) {
          const e = JSON.parse(new TextDecoder().decode(m.value)) as { view_id?: string; seq: number };
          if (e.view_id === seen.viewId) onBus.push(e.seq);
        }
      },
    });
    const until = Date.now() + 30_000;
    while (onBus.length < last.length && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    await sub.stop();
    expect(onBus.length).toBeGreaterThanOrEqual(last.length);
    expect([...onBus]).toEqual([...onBus].sort((a, b) => a - b));

    // 5. the views record has the SDK's startup and the rebuffer the page saw.
    let view: ViewRecord | undefined;
    for (let i = 0; i < 100 && view?.status !== "ended"; i++) {
      view = await dev.search.getView(seen.viewId);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(view).toMatchObject({ status: "ended", end_reason: "ended", reached_first_frame: true, video_id: videoId });
    expect(view!.startup_ms).toBe(Math.round(seen.m.startupMs));
    expect(view!.rebuffer_count).toBe(seen.m.rebufferCount);
    expect(Math.abs(view!.rebuffer_ms - seen.m.rebufferMs)).toBeLessThan(250);

    // 6. Parquet with the view's events lands in the archive; 7. DuckDB returns the same view.
    let rows: Record<string, unknown>[] = [];
    for (let i = 0; i < 60 && rows.length === 0; i++) {
      await dev.query.refresh();
      rows = (
        await dev.query.run("SELECT view_id, startup_ms, rebuffer_count FROM views WHERE view_id = ?", [seen.viewId])
      ).rows;
      if (rows.length === 0) await new Promise((r) => setTimeout(r, 500));
    }
    expect(rows[0]).toMatchObject({
      view_id: seen.viewId,
      startup_ms: view!.startup_ms,
      rebuffer_count: view!.rebuffer_count,
    });
    // Every event of the view reaches the Parquet archive (the last cut closes within a second).
    let archived = 0;
    for (let i = 0; i < 60 && archived < onBus.length; i++) {
      await dev.query.refresh();
      const r = await dev.query.run("SELECT count(*) AS n FROM playback_events WHERE view_id = ?", [seen.viewId]);
      archived = Number(r.rows[0]!.n);
      if (archived < onBus.length) await new Promise((r) => setTimeout(r, 500));
    }
    expect(archived).toBe(onBus.length);

    // 8. On the real services, Trino (Athena's engine family) reads the same Parquet on S3
    // through the contract's Trino DDL, with a bound parameter as Athena binds them.
    if (trino) {
      const engine = createTrinoEngine(trino.env);
      const viaTrino = await engine.run(
        "SELECT view_id, startup_ms, rebuffer_count FROM views WHERE view_id = ? AND dt BETWEEN ? AND ?",
        [seen.viewId, day(-1), day(1)],
      );
      expect(viaTrino.rows).toHaveLength(1);
      expect(viaTrino.rows[0]).toMatchObject({
        view_id: seen.viewId,
        startup_ms: view!.startup_ms,
        rebuffer_count: view!.rebuffer_count,
      });
      const counted = await engine.run(
        "SELECT count(*) AS n FROM playback_events WHERE view_id = ? AND dt BETWEEN ? AND ?",
        [seen.viewId, day(-1), day(1)],
      );
      expect(Number(counted.rows[0]!.n)).toBe(onBus.length);
    }

    // The pipeline's job events became one completed `jobs` record (job tracker → archive → DuckDB).
    let jobs: Record<string, unknown>[] = [];
    for (let i = 0; i < 60 && jobs.length === 0; i++) {
      await dev.query.refresh();
      jobs = (
        await dev.query.run("SELECT status, renditions_completed, failed_step FROM jobs WHERE video_id = ?", [videoId])
      ).rows;
      if (jobs.length === 0) await new Promise((r) => setTimeout(r, 500));
    }
    expect(jobs[0]).toMatchObject({ status: "completed", renditions_completed: 2, failed_step: null });
    // The jobs belong to the demo app, so the live view's "Pipeline jobs" panel (GET /v1/stats
    // with the dev read token, which reads app demo only) lists them.
    let recent: { video_id?: string; status: string }[] = [];
    for (let i = 0; i < 60 && !recent.some((j) => j.video_id === videoId); i++) {
      const res = await fetch(`${dev.url}/v1/stats?minutes=60`, {
        headers: { authorization: `Bearer ${dev.readToken}` },
      });
      expect(res.status).toBe(200);
      recent = ((await res.json()) as { jobs: { recent: typeof recent } }).jobs.recent;
      if (!recent.some((j) => j.video_id === videoId)) await new Promise((r) => setTimeout(r, 500));
    }
    expect(recent.find((j) => j.video_id === videoId)).toMatchObject({ status: "completed" });

    // 8. The dashboards' queries see the view: the QoE dashboard's "startup by video" panel, as
    // Grafana would send it, answered by the real Elasticsearch.
    if (connections.REELTIME_SEARCH === "elasticsearch") {
      const board = JSON.parse(await readFile(join(GENERATED_DIR, "grafana/dashboards/reeltime-qoe.json"), "utf8")) as {
        panels: { reeltime?: { key: string }; targets?: unknown[] }[];
      };
      const yaml = parse(await readFile(join(GENERATED_DIR, "grafana/provisioning/datasources/reeltime.yaml"), "utf8"));
      const datasources = new Map<string, Datasource>();
      for (const ds of yaml.datasources as { uid: string; type: string; jsonData: Datasource }[])
        if (ds.type === "elasticsearch")
          datasources.set(ds.uid, { index: ds.jsonData.index, timeField: ds.jsonData.timeField });
      const panel = board.panels.find((p) => p.reeltime?.key === "qoe-startup-by-video")!;
      const started = Date.parse(view!.started_at);
      const req = grafanaEsRequest(panel.targets![0] as never, datasources, {
        from: started - 60_000,
        to: started + 60_000,
        interval: "1m",
        vars: { app: ["demo"] },
      });
      await fetch(`${LOCAL_ENDPOINTS.elasticsearch.url}/${req.index}/_refresh`, { method: "POST" });
      const res = await fetch(`${LOCAL_ENDPOINTS.elasticsearch.url}/${encodeURIComponent(req.index)}/_search`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(req.body),
      });
      const row = rowsOf(req, (await res.json()) as never).find((r) => r.keys.includes(videoId));
      expect(row, "the panel's row for the e2e video").toBeDefined();
      expect(Object.values(row!.values)).toContain(view!.startup_ms);
    }
    await tab.close();
  }, 240_000);
});
