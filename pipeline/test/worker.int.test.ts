// Transcode workers as one consumer group on real Kafka, with their claims in real S3 (SeaweedFS),
// both started by `reeltime infra up`; ffmpeg does the work.
import { readFile } from "node:fs/promises";
import { type Archive, type Bus, createArchive, createBus } from "@reeltime/connectors";
import type { JobEvent } from "@reeltime/events";
import { localServicesEnv } from "@reeltime/infra";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { Partitioners } from "kafkajs";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorkerService } from "../src/cli/worker.ts";
import { TranscodePipeline } from "../src/pipeline.ts";
import { requestTranscodes, type TranscodeRequest } from "../src/worker/request.ts";
import { TranscodeWorker, type WorkerRecord } from "../src/worker/worker.ts";
import { makeClip } from "./helpers/clips.ts";

const env = { ...process.env, ...localServicesEnv() };
const connections = loadEnv(ConnectionEnv, env);
const run = uuidv7();
const topic = `reeltime.transcode.test-${run}`;
const group = `reeltime-transcoders-test-${run}`;
const PARTITIONS = 4;
const N = 8;

/** Request ids that Kafka's default partitioner spreads evenly (N / PARTITIONS per partition). */
function spreadIds(): string[] {
  const partitionOf = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, i) => ({
    partitionId: i,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  const per = new Map<number, number>();
  const ids: string[] = [];
  for (let salt = 0; ids.length < N; salt++) {
    const id = `${run}-${salt}`;
    const p = partitionOf({ topic, partitionMetadata, message: { key: id, value: null } });
    if ((per.get(p) ?? 0) >= N / PARTITIONS) continue;
    per.set(p, (per.get(p) ?? 0) + 1);
    ids.push(id);
  }
  return ids;
}

const opened: { close: () => Promise<void> }[] = [];
async function connectBus(): Promise<Bus> {
  const bus = await createBus(connections);
  await bus.start();
  opened.push({ close: () => bus.shutdown() });
  return bus;
}
async function connectArchive(): Promise<Archive> {
  const archive = await createArchive(connections);
  await archive.start();
  opened.push({ close: () => archive.shutdown() });
  return archive;
}

async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Member {
  worker: TranscodeWorker;
  records: WorkerRecord[];
  /** job.created events this member's pipeline emitted, by video id: one per transcode run. */
  runs: Map<string, number>;
}

async function member(): Promise<Member> {
  const bus = await connectBus();
  const archive = await connectArchive();
  const runs = new Map<string, number>();
  const pipeline = new TranscodePipeline(
    { bus, archive },
    {
      ladder: ["240p"],
      segmentSeconds: 1,
      concurrency: 1,
      onEvent: (e: JobEvent) => {
        if (e.event_type === "job.created" && e.video) runs.set(e.video.id, (runs.get(e.video.id) ?? 0) + 1);
      },
    },
  );
  const records: WorkerRecord[] = [];
  const worker = new TranscodeWorker(
    { bus, archive, pipeline },
    // Requests on the test topic only (completed uploads are another test's: test/worker/uploads.test.ts).
    { group, topic, uploads: false, lagIntervalMs: 500, onJob: (r) => records.push(r) },
  );
  opened.push({ close: () => worker.stop() });
  return { worker, records, runs };
}

let publisher: Bus;
let archive: Archive;
beforeAll(async () => {
  publisher = await connectBus();
  archive = await connectArchive();
  await publisher.ensureTopics([{ name: topic, partitions: PARTITIONS }]);
}, 60_000);

afterAll(async () => {
  for (const o of opened.reverse()) await o.close().catch(() => undefined);
}, 60_000);

describe("transcode workers in one consumer group (Kafka, S3, ffmpeg)", { timeout: 420_000 }, () => {
  it("two workers, N requests each published twice: every request is transcoded exactly once", async () => {
    const clip = await readFile(await makeClip({ width: 320, height: 240, seconds: 1 }));
    const requests: TranscodeRequest[] = [];
    const ids = spreadIds();
    for (let i = 0; i < N; i++) {
      const key = `uploads/worker-test-${run}/clip-${i}.mp4`;
      await archive.put(key, clip);
      requests.push({
        request_id: ids[i]!,
        source_key: key,
        video_id: `w-${run.slice(-12)}-${i}`,
        requested_at: new Date().toISOString(),
      });
    }
    const a = await member();
    const b = await member();
    await a.worker.start();
    await b.worker.start();
    // Both members hold a share of the 4 partitions before any request is published.
    await until(
      "both workers hold partitions",
      () =>
        a.worker.assignments().length > 0 &&
        b.worker.assignments().length > 0 &&
        a.worker.assignments().length + b.worker.assignments().length === PARTITIONS,
    );
    expect(new Set([...a.worker.assignments(), ...b.worker.assignments()]).size).toBe(PARTITIONS);

    // Each worker holds partitions that carry requests (ids spread evenly over the partitions).
    // Every request twice (a scheduler that enqueued twice): the duplicate must not run again.
    await requestTranscodes(publisher, requests, topic);
    await requestTranscodes(publisher, requests, topic);
    await until("all requests ended", () => a.records.length + b.records.length >= N, 300_000);
    const skipped = async () => {
      const count = async (m: Member) =>
        (await m.worker.metrics.jobs.get()).values.find((v) => v.labels.status === "skipped")?.value ?? 0;
      return (await count(a)) + (await count(b));
    };
    await until("every duplicate delivery skipped", async () => (await skipped()) === N, 60_000);

    const ended = [...a.records, ...b.records];
    expect(ended).toHaveLength(N);
    expect(new Set(ended.map((r) => r.request_id))).toEqual(new Set(requests.map((r) => r.request_id)));
    expect(ended.every((r) => r.status === "completed" && r.attempt === 1)).toBe(true);
    expect(a.records.length).toBeGreaterThan(0);
    expect(b.records.length).toBeGreaterThan(0);

    // ffmpeg ran once per request, across both workers (job.created counted from each pipeline).
    for (const r of requests) {
      expect((a.runs.get(r.video_id!) ?? 0) + (b.runs.get(r.video_id!) ?? 0), r.video_id).toBe(1);
      expect(await archive.exists(`media/${r.video_id}/master.m3u8`)).toBe(true);
      // One claim, one result, in the shared store.
      const objects = (await archive.list(`pipeline/claims/${r.request_id}/`)).map((o) => o.key.split("/").at(-1));
      expect(objects).toEqual(["claim-1.json", "done.json"]);
    }
  });

  it("a worker service answers /healthz, /readyz and /metrics", async () => {
    const service = await startWorkerService({
      env,
      metricsPort: 0,
      group: `${group}-svc`,
      topic: `${topic}-svc`,
    });
    opened.push(service);
    const health = await fetch(`${service.ops.url}/healthz`);
    expect(health.status).toBe(200);
    await until("worker ready", async () => (await fetch(`${service.ops.url}/readyz`)).status === 200, 30_000);
    const ready = (await (await fetch(`${service.ops.url}/readyz`)).json()) as { worker: string; status: string };
    expect(ready).toMatchObject({ status: "ready", worker: service.worker.id });
    const metrics = await (await fetch(`${service.ops.url}/metrics`)).text();
    for (const name of [
      "reeltime_pipeline_jobs_in_progress",
      "reeltime_pipeline_job_duration_seconds",
      "reeltime_process_cpu_seconds_total",
    ])
      expect(metrics).toContain(name);
    expect(metrics).toContain('service="pipeline-worker"');
  });
});
