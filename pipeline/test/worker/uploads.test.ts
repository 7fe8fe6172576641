// Hermetic: completed uploads on the embedded bus become transcode jobs, one per upload version.
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Archive, type Bus, createArchive, createBus } from "@reeltime/connectors";
import { type EventOf, exampleEvent, TOPICS } from "@reeltime/events";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { afterEach, describe, expect, it } from "vitest";
import type { JobRequest, TranscodePipeline } from "../../src/pipeline.ts";
import { TRANSCODE_TOPIC } from "../../src/worker/request.ts";
import { TranscodeWorker, type WorkerRecord } from "../../src/worker/worker.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function deps(): Promise<{ bus: Bus; archive: Archive }> {
  const dir = await mkdtemp(join(tmpdir(), "reeltime-worker-uploads-"));
  const env = { ...loadEnv(ConnectionEnv, {}), REELTIME_DATA_DIR: dir };
  const bus = await createBus({ ...env, REELTIME_BUS: "embedded" });
  const archive = await createArchive({ ...env, REELTIME_ARCHIVE: "fs" });
  await bus.start();
  await archive.start();
  await bus.ensureTopics([
    { name: TRANSCODE_TOPIC, partitions: 2 },
    { name: TOPICS.upload, partitions: 4 },
  ]);
  cleanups.push(
    () => rm(dir, { recursive: true, force: true }),
    () => archive.shutdown(),
    () => bus.shutdown(),
  );
  return { bus, archive };
}

function fakePipeline(runs: JobRequest[], ms = 30): TranscodePipeline {
  return {
    run: async (req: JobRequest) => {
      runs.push(req);
      await new Promise((r) => setTimeout(r, ms));
      return {
        jobId: req.jobId ?? "none",
        videoId: req.videoId ?? "v",
        status: "completed",
        durationMs: ms,
        renditions: [],
      };
    },
  } as unknown as TranscodePipeline;
}

async function until(fn: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

type UploadType = "upload.created" | "upload.completed" | "upload.aborted";
function uploadEvent(type: UploadType, app: string, video: string, key: string, version = "v1"): EventOf<UploadType> {
  const e = exampleEvent(type);
  return {
    ...e,
    app_id: app,
    video: { id: video, title: `title of ${video}` },
    upload: { ...e.upload, id: `upl-${video}`, key, version },
  } as EventOf<UploadType>;
}

async function publish(bus: Bus, events: EventOf<UploadType>[]): Promise<void> {
  await bus.publish(
    TOPICS.upload,
    events.map((e) => ({ key: e.video.id, value: new TextEncoder().encode(JSON.stringify(e)) })),
  );
}

/** The job id the test expects: "job-" + the first 32 hex of SHA-256(key \n version), computed here. */
const expectedJobId = (key: string, version: string) =>
  `job-${createHash("sha256").update(`${key}\n${version}`).digest("hex").slice(0, 32)}`;

const badRequests = async (w: TranscodeWorker) =>
  (await w.metrics.jobs.get()).values.find((v) => v.labels.status === "bad_request")?.value ?? 0;

describe("completed uploads start transcodes", { timeout: 30_000 }, () => {
  it("two workers, every upload.completed published twice: each upload version runs exactly once, with its own job id", async () => {
    const { bus, archive } = await deps();
    const N = 12;
    const events = [];
    for (let i = 0; i < N; i++) {
      const key = `uploads/demo/vid-${i}/source.mp4`;
      await archive.put(key, new Uint8Array([1, 2, 3, i]));
      events.push(uploadEvent("upload.completed", "demo", `vid-${i}`, key));
    }
    const runs: JobRequest[] = [];
    const ended: WorkerRecord[] = [];
    const workers = ["w1", "w2"].map(
      (id) =>
        new TranscodeWorker(
          { bus, archive, pipeline: fakePipeline(runs) },
          { workerId: id, lagIntervalMs: 0, onJob: (r) => ended.push(r) },
        ),
    );
    for (const w of workers) {
      await w.start();
      cleanups.push(() => w.stop());
    }
    await until(() => workers.every((w) => w.assignments().length > 0));
    await publish(bus, events);
    await publish(bus, events);
    await until(() => ended.length === N);
    // Let the duplicates be read (they are skipped, not run).
    await until(async () => {
      let skipped = 0;
      for (const w of workers)
        skipped += (await w.metrics.jobs.get()).values.find((v) => v.labels.status === "skipped")?.value ?? 0;
      return skipped === N;
    });
    expect(runs).toHaveLength(N);
    expect(runs.map((r) => r.jobId).sort()).toEqual(events.map((e) => expectedJobId(e.upload.key, "v1")).sort());
    expect(runs.map((r) => `${r.appId}:${r.videoId}:${r.title}`).sort()).toEqual(
      events.map((e) => `demo:${e.video.id}:title of ${e.video.id}`).sort(),
    );
    expect(runs.every((r) => r.attempt === 1)).toBe(true);
  });

  it("a new object version is a new job; created and aborted uploads start nothing", async () => {
    const { bus, archive } = await deps();
    const key = "uploads/demo/vid-a/source.mp4";
    await archive.put(key, new Uint8Array([9]));
    const runs: JobRequest[] = [];
    const ended: WorkerRecord[] = [];
    const w = new TranscodeWorker(
      { bus, archive, pipeline: fakePipeline(runs) },
      { lagIntervalMs: 0, onJob: (r) => ended.push(r) },
    );
    await w.start();
    cleanups.push(() => w.stop());
    await publish(bus, [
      uploadEvent("upload.created", "demo", "vid-a", key),
      uploadEvent("upload.completed", "demo", "vid-a", key, "v1"),
      uploadEvent("upload.aborted", "demo", "vid-a", key),
      uploadEvent("upload.completed", "demo", "vid-a", key, "v2"),
    ]);
    await until(() => ended.length === 2);
    expect(runs.map((r) => r.jobId)).toEqual([expectedJobId(key, "v1"), expectedJobId(key, "v2")]);
  });

  it("an upload whose key is outside its app's folder, or a message that is no upload event, is refused and the worker goes on", async () => {
    const { bus, archive } = await deps();
    await archive.put("uploads/other-app/vid-x/source.mp4", new Uint8Array([1]));
    await archive.put("uploads/demo/vid-ok/source.mp4", new Uint8Array([2]));
    const runs: JobRequest[] = [];
    const ended: WorkerRecord[] = [];
    const w = new TranscodeWorker(
      { bus, archive, pipeline: fakePipeline(runs) },
      { lagIntervalMs: 0, onJob: (r) => ended.push(r) },
    );
    await w.start();
    cleanups.push(() => w.stop());
    // One partition key for all, so they are read in this order.
    const forged = uploadEvent("upload.completed", "demo", "vid-x", "uploads/other-app/vid-x/source.mp4");
    const outside = uploadEvent("upload.completed", "demo", "vid-y", "media/vid-y/master.m3u8");
    const ok = uploadEvent("upload.completed", "demo", "vid-ok", "uploads/demo/vid-ok/source.mp4");
    const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));
    await bus.publish(TOPICS.upload, [
      { key: "k", value: enc(forged) },
      { key: "k", value: enc(outside) },
      { key: "k", value: enc("{not json") },
      { key: "k", value: enc(exampleEvent("playback.play")) },
      { key: "k", value: enc(ok) },
    ]);
    await until(() => ended.length === 1);
    expect(runs.map((r) => r.sourceLabel)).toEqual(["uploads/demo/vid-ok/source.mp4"]);
    expect(await badRequests(w)).toBe(4);
  });
});
