// npm run bench [NAME ...] [--duration S] [--rounds N] [--events N] [--connections N] [--docs N]
//                          [--samples N] [--profile] [--drop-data] [--bus kafka|embedded] [--before DIR]
import { parseArgs } from "node:util";
import { archive } from "./benchmarks/archive.ts";
import { embedded } from "./benchmarks/embedded.ts";
import { freshness } from "./benchmarks/freshness.ts";
import { indexing } from "./benchmarks/indexing.ts";
import { ingest } from "./benchmarks/ingest.ts";
import { ingestStages } from "./benchmarks/ingest-stages.ts";
import { kafkaEncode } from "./benchmarks/kafka-encode.ts";
import { lastN } from "./benchmarks/last-n.ts";
import { liveFreshness } from "./benchmarks/live-freshness.ts";
import { playerSdk } from "./benchmarks/player-sdk.ts";
import { producer } from "./benchmarks/producer.ts";
import { segmentParallel } from "./benchmarks/segment-parallel.ts";
import { sessionizer } from "./benchmarks/sessionizer.ts";
import { uploadToReady } from "./benchmarks/upload-to-ready.ts";
import { type BenchOptions, DEFAULTS } from "./options.ts";
import { OUT_DIR, type Result, writeResult } from "./report.ts";

const BENCHMARKS: Record<string, (o: BenchOptions) => Promise<Result>> = {
  ingest,
  "ingest-stages": ingestStages,
  producer,
  "kafka-encode": kafkaEncode,
  indexing,
  archive,
  freshness,
  "live-freshness": liveFreshness,
  "last-n": lastN,
  embedded,
  "player-sdk": playerSdk,
  sessionizer,
  "upload-to-ready": uploadToReady,
  "segment-parallel": segmentParallel,
};

const HELP = `npm run bench [NAME ...] [options]

Runs reeltime side by side with a baseline and writes bench/out/<name>.json and .md.
Names: ${Object.keys(BENCHMARKS).join(", ")} (default: all). Needs \`npx reeltime infra up\`
for ingest, producer, indexing, freshness and last-n; upload-to-ready and segment-parallel
need ffmpeg (--events sets their clip's seconds, default 60 and 120).

  --duration S     seconds per side per round for load runs (default ${DEFAULTS.duration})
  --rounds N       alternating reeltime/baseline rounds (default ${DEFAULTS.rounds})
  --events N       events or rows per side (each benchmark has its own default)
  --connections N  HTTP connections or concurrent publishes
  --docs N         documents of the Last-N data set (default ${DEFAULTS.docs}); kept between runs
  --samples N      freshness samples or Last-N queries per case
  --profile        CPU profile of reeltime's side into bench/out/profiles (ingest: the server)
  --drop-data      last-n: delete the kept data set and stop
  --bus B          ingest: kafka (default; acks=all) or embedded (the embedded log, no service)
  --before DIR     ingest: a second checkout of reeltime (an older commit, with node_modules) whose
                   server runs as a side of its own ("before", batch-v1) in the same rounds, instead
                   of the one-record-per-event side: a change measured side by side
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    duration: { type: "string" },
    rounds: { type: "string" },
    events: { type: "string" },
    connections: { type: "string" },
    docs: { type: "string" },
    samples: { type: "string" },
    profile: { type: "boolean", default: false },
    "drop-data": { type: "boolean", default: false },
    bus: { type: "string", default: "kafka" },
    before: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const unknown = positionals.filter((p) => !(p in BENCHMARKS));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark ${unknown.join(", ")}; choose from ${Object.keys(BENCHMARKS).join(", ")}\n`);
  process.exit(2);
}
const num = (v: string | undefined, def: number) => {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`"${v}" is not a number ≥ 0\n`);
    process.exit(2);
  }
  return n;
};
if (values.bus !== "kafka" && values.bus !== "embedded") {
  process.stderr.write(`--bus ${values.bus}: choose kafka or embedded\n`);
  process.exit(2);
}
const options: BenchOptions = {
  duration: num(values.duration, DEFAULTS.duration),
  rounds: Math.max(1, num(values.rounds, DEFAULTS.rounds)),
  events: num(values.events, DEFAULTS.events),
  connections: num(values.connections, DEFAULTS.connections),
  docs: num(values.docs, DEFAULTS.docs),
  samples: num(values.samples, DEFAULTS.samples),
  profile: values.profile,
  dropData: values["drop-data"],
  bus: values.bus,
  ...(values.before ? { before: values.before } : {}),
  log: (line) => process.stdout.write(`${line}\n`),
};

const names = positionals.length > 0 ? positionals : Object.keys(BENCHMARKS);
let failed = 0;
for (const name of names) {
  process.stdout.write(`\n▶ ${name}\n`);
  const started = performance.now();
  try {
    const result = await BENCHMARKS[name]!(options);
    process.stdout.write(`\n${writeResult(result)}`);
    process.stdout.write(`(${((performance.now() - started) / 1000).toFixed(0)} s; ${OUT_DIR}/${name}.json)\n`);
  } catch (err) {
    failed++;
    process.stderr.write(`✘ ${name}: ${(err as Error).stack ?? String(err)}\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);
