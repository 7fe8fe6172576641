// Segment-parallel encoding across worker processes on real Kafka, with claims, pieces and
// encoded chunks in real S3 (SeaweedFS), both started by `reeltime infra up`; ffmpeg does the work.
// Three workers, each its own process (test/chunked/helpers/worker-process.ts) on topics and
// groups of this run. One long source is requested; the worker that takes it splits it, and the
// chunk units spread over the group. A worker other than the one that split is SIGKILLed while
// it encodes a chunk: that chunk is taken over by another worker once its claim expired and
// encoded again, alone (every other chunk is encoded once), and the job completes with the
// package a serial encode makes (frame count of each rendition, its segment boundaries).
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type Archive, type Bus, createArchive, createBus } from "@reeltime/connectors";
import { type JobEvent, TOPICS } from "@reeltime/events";
import { localServicesEnv } from "@reeltime/infra";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planSplit } from "../../src/chunked/plan.ts";
import { requestTranscodes } from "../../src/worker/request.ts";
import { makeClip } from "../helpers/clips.ts";

const env = { ...process.env, ...localServicesEnv() };
const connections = loadEnv(ConnectionEnv, env);
const run = uuidv7();
const topic = `reeltime.transcode.test-${run}`;
const group = `reeltime-transcoders-test-${run}`;
const chunkTopic = `reeltime.transcode.chunks.test-${run}`;
const chunkGroup = `reeltime-chunk-encoders-test-${run}`;
const HELPER = fileURLToPath(new URL("./helpers/worker-process.ts", import.meta.url));
const SECONDS = 40;
const FPS = 25;
const SEGMENT = 2;
const CHUNK = 4;
const LADDER = ["360p", "240p"];
/** Short, so the killed worker's chunk is taken over within the test's time. */
const CLAIM_TTL_MS = 20_000;

interface Line {
  worker: string;
  ready?: boolean;
  event?: JobEvent;
  job?: { status: string; request_id: string };
}

/** One worker process; its JSON lines as they come. */
class WorkerProcess {
  readonly name: string;
  readonly lines: Line[] = [];
  readonly child: ChildProcess;
  #buffer = "";
  #stderr = "";
  constructor(name: string) {
    this.name = name;
    this.child = spawn(process.execPath, [HELPER], {
      env: {
        ...env,
        TEST_WORKER: name,
        TEST_TOPIC: topic,
        TEST_GROUP: group,
        TEST_CHUNK_TOPIC: chunkTopic,
        TEST_CHUNK_GROUP: chunkGroup,
        TEST_CLAIM_TTL_MS: String(CLAIM_TTL_MS),
        TEST_LADDER: LADDER.join(","),
        TEST_SEGMENT_SECONDS: String(SEGMENT),
        REELTIME_CHUNK_THRESHOLD_SECONDS: "10",
        REELTIME_CHUNK_SECONDS: String(CHUNK),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      this.#buffer += chunk;
      for (let nl = this.#buffer.indexOf("\n"); nl >= 0; nl = this.#buffer.indexOf("\n")) {
        const text = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        if (text.startsWith("{")) this.lines.push(JSON.parse(text) as Line);
      }
    });
    this.child.stderr!.setEncoding("utf8").on("data", (c: string) => {
      this.#stderr = (this.#stderr + c).slice(-4000);
    });
  }
  get events(): JobEvent[] {
    return this.lines.flatMap((l) => (l.event ? [l.event] : []));
  }
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  describe(): string {
    return `${this.name}: ${this.lines.length} lines; stderr: ${this.#stderr}`;
  }
}

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const workers: WorkerProcess[] = [];
let publisher: Bus;
let archive: Archive;
beforeAll(async () => {
  publisher = await createBus(connections);
  archive = await createArchive(connections);
  await publisher.start();
  await archive.start();
  await publisher.ensureTopics([
    { name: topic, partitions: 2 },
    { name: chunkTopic, partitions: 8 },
    { name: TOPICS.job, partitions: connections.REELTIME_PARTITIONS },
  ]);
}, 60_000);

afterAll(async () => {
  for (const w of workers) if (w.alive) w.child.kill("SIGKILL");
  await publisher?.shutdown();
  await archive?.shutdown();
}, 60_000);

const key = (e: JobEvent) => `${e.job.rendition}/${e.job.chunk?.index}`;

describe("segment-parallel encoding over worker processes (Kafka, S3, ffmpeg)", { timeout: 600_000 }, () => {
  it("a worker SIGKILLed mid-chunk: that chunk alone is encoded again elsewhere, and the job completes as a serial encode would", async () => {
    const source = await makeClip({ width: 640, height: 360, seconds: SECONDS, fps: FPS });
    const sourceKey = `uploads/chunk-test-${run}/long.mp4`;
    await archive.put(sourceKey, await readFile(source));
    for (const name of ["w1", "w2", "w3"]) workers.push(new WorkerProcess(name));
    for (const w of workers)
      await until(`${w.name} ready`, () => w.lines.some((l) => l.ready) || (!w.alive && fail(w)), 60_000);

    const videoId = `chunked-${run.slice(-12)}`;
    await requestTranscodes(
      publisher,
      [
        {
          request_id: `chunk-test-${run}`,
          source_key: sourceKey,
          video_id: videoId,
          requested_at: new Date().toISOString(),
        },
      ],
      topic,
    );
    // The worker that took the job splits the source; then a chunk starts on another worker.
    const coordinator = await until(
      "a worker split the source",
      () => workers.find((w) => w.events.some((e) => e.event_type === "job.step_completed" && e.job.step === "split")),
      240_000,
    );
    const split = coordinator.events.find((e) => e.job.step === "split" && e.event_type === "job.step_completed")!;
    const count = split.job.chunk!.count;
    const isVideoChunk = (e: JobEvent) => e.job.step === "chunk" && LADDER.includes(e.job.rendition ?? "");
    const victim = await until(
      "another worker started a chunk",
      () =>
        workers.find(
          (w) => w !== coordinator && w.events.some((e) => isVideoChunk(e) && e.event_type === "job.step_started"),
        ),
      120_000,
    );
    const started = victim.events.filter((e) => isVideoChunk(e) && e.event_type === "job.step_started");
    const inFlight = started.filter(
      (s) => !victim.events.some((e) => e.event_type === "job.step_completed" && key(e) === key(s)),
    );
    victim.child.kill("SIGKILL");
    await until("the victim is gone", () => !victim.alive, 10_000);
    expect(inFlight.length).toBeGreaterThan(0);

    const done = await until(
      "the job ended",
      () => coordinator.lines.find((l) => l.job?.request_id === `chunk-test-${run}`)?.job,
      480_000,
    );
    expect(done.status, coordinator.describe()).toBe("completed");

    const all = workers.flatMap((w) => w.events.map((e) => ({ w: w.name, e })));
    const completed = all.filter(({ e }) => isVideoChunk(e) && e.event_type === "job.step_completed");
    // Every chunk of every rendition completed; the killed one by a surviving worker, on a new
    // claim attempt (its events' attempts come after the first claim's).
    const byChunk = new Map<string, string[]>();
    for (const { w, e } of completed) byChunk.set(key(e), [...(byChunk.get(key(e)) ?? []), w]);
    expect(byChunk.size).toBe(count * LADDER.length);
    for (const lost of inFlight) {
      const redo = completed.filter(({ e }) => key(e) === key(lost));
      expect(redo.map(({ w }) => w)).not.toContain(victim.name);
      expect(redo.some(({ e }) => (e.job.attempt ?? 1) > 3)).toBe(true);
    }
    // Recovery is per chunk: every chunk the victim did not hold was started exactly once.
    const startedBy = new Map<string, number>();
    for (const { e } of all.filter(({ e }) => isVideoChunk(e) && e.event_type === "job.step_started"))
      startedBy.set(key(e), (startedBy.get(key(e)) ?? 0) + 1);
    for (const [k, n] of startedBy) if (!inFlight.some((s) => key(s) === k)) expect(n, k).toBe(1);

    // The package: each rendition has the serial encode's segment boundaries (2 s each, 1000
    // frames at 25 fps), planned as the serial encode's are.
    const plan = planSplit({
      fps: FPS,
      segmentSeconds: SEGMENT,
      gop: FPS * SEGMENT,
      durationSeconds: SECONDS,
      videoStartSeconds: 0,
      keyframes: [0],
      chunkSeconds: CHUNK,
    });
    expect(count).toBe(plan.chunks.length);
    for (const r of LADDER) {
      const playlist = new TextDecoder().decode(await archive.get(`media/${videoId}/${r}/index.m3u8`));
      const durations = [...playlist.matchAll(/#EXTINF:([0-9.]+),/g)].map((m) => Number(m[1]));
      expect(durations).toEqual(Array(SECONDS / SEGMENT).fill(SEGMENT));
    }
    expect(await archive.exists(`media/${videoId}/manifest.mpd`)).toBe(true);
    expect(await archive.exists(`media/${videoId}/master.m3u8`)).toBe(true);
  });
});

function fail(w: WorkerProcess): never {
  throw new Error(`worker exited early: ${w.describe()}`);
}
