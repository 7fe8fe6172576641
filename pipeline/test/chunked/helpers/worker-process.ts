// One pipeline worker as its own process (Node's type stripping runs this file directly), for
// tests that SIGKILL a worker: a TranscodeWorker with its ChunkWorker on the bus and archive the
// environment names (REELTIME_BUS, REELTIME_ARCHIVE, …), on the topics and groups the test gives,
// splitting every source longer than REELTIME_CHUNK_THRESHOLD_SECONDS. It prints one JSON line
// per job event it emits ({"worker", "event"}) and {"worker", "ready": true} once it joined.
import { busDispatch } from "../../../src/chunked/job.ts";
import { loadChunkSettings } from "../../../src/chunked/settings.ts";
import { connect } from "../../../src/cli/connect.ts";
import { TranscodePipeline } from "../../../src/pipeline.ts";
import { TranscodeWorker } from "../../../src/worker/worker.ts";

const env = process.env;
const need = (name: string) => {
  const v = env[name];
  if (!v) throw new Error(`worker-process: ${name} is not set`);
  return v;
};
const name = need("TEST_WORKER");
const chunkTopic = need("TEST_CHUNK_TOPIC");
const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ worker: name, ...line })}\n`);

const { bus, archive } = await connect(env);
const settings = loadChunkSettings(env);
const pipeline = new TranscodePipeline(
  { bus, archive },
  {
    ladder: need("TEST_LADDER").split(","),
    segmentSeconds: Number(need("TEST_SEGMENT_SECONDS")),
    concurrency: 1,
    threads: 1,
    analysis: false,
    progressIntervalMs: 60_000,
    chunking: {
      thresholdSeconds: settings.thresholdSeconds ?? 0,
      chunkSeconds: settings.chunkSeconds,
      dispatch: busDispatch(bus, chunkTopic),
      pollMs: 250,
    },
    onEvent: (event) => say({ event }),
  },
);
const worker = new TranscodeWorker(
  { bus, archive, pipeline },
  {
    workerId: name,
    group: need("TEST_GROUP"),
    topic: need("TEST_TOPIC"),
    uploads: false,
    lagIntervalMs: 0,
    claimTtlMs: Number(need("TEST_CLAIM_TTL_MS")),
    chunks: { group: need("TEST_CHUNK_GROUP"), topic: chunkTopic },
    onJob: (record) => say({ job: record }),
  },
);
await worker.start();
say({ ready: true });
const stop = async () => {
  await worker.stop();
  await bus.shutdown();
  await archive.shutdown();
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
