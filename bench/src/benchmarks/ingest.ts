import { type LoadResult, postLoad, startServer } from "../http-load.ts";
import { type BenchOptions, or } from "../options.ts";
import type { Result, Row } from "../report.ts";
import { WRITE_KEY } from "../servers/keys.ts";
import { deleteRunTopics, RUN_ID } from "../services.ts";
import { median, round } from "../stats.ts";
import { workload } from "../workload.ts";

const BATCH = 100;
/** Issue [18]: 100k validated events/s in one process, 0.4 of the bare parse, p99 under 100 ms. */
const GOAL = 100_000;
const GOAL_RATIO = 0.4;
const GOAL_P99_MS = 100;
/** Worker threads of the deployed side (the Helm chart's REELTIME_INGEST_WORKERS). */
const WORKERS = 1;
/** Seconds of unmeasured load before each side's round. */
const SETTLE_S = 3;

type Run = LoadResult & { cpuMicros: number };

function sum(runs: Run[]) {
  const seconds = runs.reduce((s, r) => s + r.seconds, 0);
  const ok = runs.reduce((s, r) => s + r.ok, 0);
  return {
    "events/s": Math.round((ok * BATCH) / seconds),
    "server CPU µs/event": round(runs.reduce((s, r) => s + r.cpuMicros, 0) / Math.max(1, ok * BATCH), 1),
    "requests/s": Math.round(ok / seconds),
    "p50 ms": round(median(runs.map((r) => r.p50))),
    "p99 ms": round(median(runs.map((r) => r.p99))),
    "non-2xx": runs.reduce((s, r) => s + r.non2xx, 0),
    errors: runs.reduce((s, r) => s + r.errors + r.timeouts, 0),
  };
}

const SIDES = ["baseline", "before", "event", "batch-v1", "platformatic", "workers"] as const;
const round1 = (n: number) => round(n, 1);
type Side = (typeof SIDES)[number];

/**
 * POST /v1/events with 100-event batches through the real HTTP server (its own process) into
 * the bus (--bus kafka: the local Kafka with acks=all; embedded: the embedded log, fsync'd),
 * against a bare Fastify route that only parses the same bodies. reeltime runs as the Helm chart
 * deploys it (batch-v1 on @platformatic/kafka, one worker thread: REELTIME_INGEST_WORKERS=1; the
 * goal is judged on it) and, in the same alternating rounds, without the worker thread on each
 * Kafka client and with one record per event (REELTIME_BUS_RECORD_FORMAT=event, the format before).
 * Knobs: --duration (s per side per round), --rounds, --connections, --bus, --profile, --before
 * (another checkout's server as a "before" side, batch-v1, on Kafka on @platformatic/kafka, in
 * place of the one-record-per-event side: a code change measured side by side in one run).
 */
export async function ingest(o: BenchOptions): Promise<Result> {
  const app = `bench-ingest-${RUN_ID}`;
  const connections = or(o.connections, 32);
  const body = JSON.stringify(workload(BATCH, { app }));
  const headers = { "content-type": "application/json", "x-reeltime-key": WRITE_KEY };
  const sides: Record<Side, Run[]> = {
    baseline: [],
    before: [],
    event: [],
    "batch-v1": [],
    platformatic: [],
    workers: [],
  };
  const env = (format: string, driver = "kafkajs", workers = "0") => ({
    REELTIME_BENCH_BUS: o.bus,
    REELTIME_BUS_RECORD_FORMAT: format,
    REELTIME_KAFKA_DRIVER: driver,
    REELTIME_INGEST_WORKERS: workers,
  });
  // As the Helm chart deploys it: @platformatic/kafka (on Kafka) and one worker thread.
  const deployed = o.bus === "kafka" ? "platformatic" : "kafkajs";
  type Server = Awaited<ReturnType<typeof startServer>>;
  // The sides this run has, each with how its server starts. On Kafka, batch-v1 runs on both
  // Kafka clients (REELTIME_KAFKA_DRIVER); the embedded bus has none. --before: the older
  // checkout's side replaces the one-record-per-event side.
  const starts: Partial<Record<Side, () => Promise<Server>>> = {
    baseline: () => startServer("bare", app),
    ...(o.before
      ? {
          // On Kafka on @platformatic/kafka, the driver the goal is judged on (the kafkajs side stays as now).
          before: () =>
            startServer(
              "reeltime",
              app,
              o.profile,
              env("batch-v1", o.bus === "kafka" ? "platformatic" : "kafkajs"),
              o.before,
            ),
        }
      : { event: () => startServer("reeltime", app, o.profile, env("event")) }),
    "batch-v1": () => startServer("reeltime", app, o.profile, env("batch-v1")),
    ...(o.bus === "kafka"
      ? { platformatic: () => startServer("reeltime", app, o.profile, env("batch-v1", "platformatic")) }
      : {}),
    workers: () => startServer("reeltime", app, o.profile, env("batch-v1", deployed, String(WORKERS))),
  };
  const active = SIDES.filter((s) => starts[s] !== undefined);
  const servers: Partial<Record<Side, Server>> = {};
  // Started one by one; when one fails to start, those already running are stopped before the error goes on.
  try {
    for (const side of active) servers[side] = await (starts[side] as () => Promise<Server>)();
  } catch (err) {
    for (const started of Object.values(servers)) await started?.stop();
    throw err;
  }
  const server = (side: Side) => servers[side] as Server;
  try {
    // Each answers a sample batch first: reeltime must accept all 100 events, or the figures mean nothing.
    for (const side of active.filter((s) => s !== "baseline")) {
      const probe = await fetch(`${server(side).url}/v1/events`, { method: "POST", body, headers });
      const answer = (await probe.json()) as { accepted?: number; results?: { ok: boolean }[] };
      const accepted = answer.accepted ?? answer.results?.filter((r) => r.ok).length;
      if (probe.status >= 300 || accepted !== BATCH)
        throw new Error(`ingest refused the sample batch: ${probe.status} ${JSON.stringify(answer).slice(0, 300)}`);
    }
    for (const side of active) {
      o.log(`  warm-up ${side} (2 s)`);
      await postLoad({ url: `${server(side).url}/v1/events`, body, headers, connections, duration: 2 });
    }
    // Each round starts one side further on: of two servers in alternating rounds the second ran
    // 5-10 % faster whichever it was, so no side keeps the same place in every round.
    for (let round = 1; round <= o.rounds; round++)
      for (const side of active.map((_, i) => active[(i + round - 1) % active.length] as Side)) {
        // Unmeasured load first, for every side alike: in 1 s slices, the first one or two
        // seconds after the load moves to a server ran about a tenth slower than the rest (the
        // switch, not the server: it idled 30 s alone without a slower start). A round measures
        // the steady state a server under constant load is in.
        await postLoad({ url: `${server(side).url}/v1/events`, body, headers, connections, duration: SETTLE_S });
        const cpu = await server(side).cpuMicros();
        const load = await postLoad({
          url: `${server(side).url}/v1/events`,
          body,
          headers,
          connections,
          duration: o.duration,
        });
        const r = { ...load, cpuMicros: (await server(side).cpuMicros()) - cpu };
        sides[side].push(r);
        o.log(
          `  round ${round} ${side}: ${Math.round((r.ok * BATCH) / r.seconds)} events/s, ${round1(r.cpuMicros / Math.max(1, r.ok * BATCH))} µs CPU/event, p50 ${r.p50} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}`,
        );
      }
  } finally {
    for (const side of active) await server(side).stop();
    if (o.bus === "kafka")
      await deleteRunTopics().catch((e) => o.log(`  could not delete the run's topics: ${(e as Error).message}`));
  }
  const bus = o.bus === "kafka" ? "Kafka acks=all zstd" : "embedded log, fsync";
  const figures = {
    baseline: sum(sides.baseline),
    before: sum(sides.before),
    event: sum(sides.event),
    "batch-v1": sum(sides["batch-v1"]),
    platformatic: sum(sides.platformatic),
    workers: sum(sides.workers),
  };
  const base = figures.baseline["events/s"];
  const ratioOf = (side: Side) => round(figures[side]["events/s"] / base, 3);
  // The same ratio from CPU per event: what the rate ratio would be on an otherwise idle core.
  const cpuRatioOf = (side: Side) =>
    round(figures.baseline["server CPU µs/event"] / figures[side]["server CPU µs/event"], 3);
  const rows: Row[] = [
    {
      label: `reeltime as deployed: batch-v1 records${o.bus === "kafka" ? " on @platformatic/kafka" : ""}, ${WORKERS} worker thread (REELTIME_INGEST_WORKERS=${WORKERS}; ${bus})`,
      figures: { ...figures.workers, "÷ baseline": ratioOf("workers"), "CPU ratio": cpuRatioOf("workers") },
    },
    ...(o.bus === "kafka"
      ? [
          {
            label: `reeltime, batch-v1 records on @platformatic/kafka (${bus})`,
            figures: {
              ...figures.platformatic,
              "÷ baseline": ratioOf("platformatic"),
              "CPU ratio": cpuRatioOf("platformatic"),
            },
          },
        ]
      : []),
    {
      label: `reeltime, batch-v1 records (validate, enrich, ${bus}${o.bus === "kafka" ? ", kafkajs" : ""})`,
      figures: { ...figures["batch-v1"], "÷ baseline": ratioOf("batch-v1"), "CPU ratio": cpuRatioOf("batch-v1") },
    },
    o.before
      ? {
          label: `before: ${o.before}, batch-v1 records (${bus}${o.bus === "kafka" ? ", @platformatic/kafka" : ""})`,
          figures: { ...figures.before, "÷ baseline": ratioOf("before"), "CPU ratio": cpuRatioOf("before") },
        }
      : {
          label: `reeltime, one record per event (${bus})`,
          figures: { ...figures.event, "÷ baseline": ratioOf("event"), "CPU ratio": cpuRatioOf("event") },
        },
    {
      label: "baseline (bare Fastify, JSON parse only)",
      figures: { ...figures.baseline, "÷ baseline": 1, "CPU ratio": 1 },
    },
  ];
  const eps = figures.workers["events/s"];
  const ratio = ratioOf("workers");
  const p99 = figures.workers["p99 ms"];
  return {
    name: "ingest",
    title: `Ingest: POST /v1/events, 100-event batches into the ${o.bus} bus`,
    workload: {
      batch: BATCH,
      bodyBytes: Buffer.byteLength(body),
      viewsPerBatch: new Set((JSON.parse(body) as { view_id: string }[]).map((e) => e.view_id)).size,
      connections,
      secondsPerSideRound: o.duration,
      rounds: o.rounds,
      bus,
      partitions: 4,
      server: "own process per side, 127.0.0.1",
      loadGenerator: "autocannon 9 (main process)",
    },
    rows,
    ratio: { figure: "events/s", value: ratio },
    goal: {
      text: `≥ ${GOAL.toLocaleString("en")} validated events/s, ratio ≥ ${GOAL_RATIO}, p99 < ${GOAL_P99_MS} ms (Kafka acks=all)`,
      ...(o.bus === "kafka" ? { met: eps >= GOAL && ratio >= GOAL_RATIO && p99 < GOAL_P99_MS } : {}),
    },
    notes: [
      "Events/s count only 2xx answers × 100; the 503s of load shedding are counted apart.",
      "Server CPU µs/event: user + system CPU time of the server process over a round ÷ the events it accepted; CPU ratio = the baseline's ÷ this side's (the rate ratio on an otherwise idle core: it holds up when other work shares the machine, the rates do not).",
      o.before
        ? `CPU per event, before ÷ now (batch-v1${o.bus === "kafka" ? " on @platformatic/kafka" : ""}): ${round(figures.before["server CPU µs/event"] / figures[o.bus === "kafka" ? "platformatic" : "batch-v1"]["server CPU µs/event"], 2)} (same run, alternating rounds).`
        : `batch-v1 ÷ one record per event (kafkajs, no worker): ${round(figures["batch-v1"]["events/s"] / figures.event["events/s"], 2)} (same run, alternating rounds).`,
      `${WORKERS} worker thread ÷ none (batch-v1${o.bus === "kafka" ? " on @platformatic/kafka" : ""}): ${round(eps / figures[o.bus === "kafka" ? "platformatic" : "batch-v1"]["events/s"], 2)} in events/s, ${round(figures.workers["server CPU µs/event"] / figures[o.bus === "kafka" ? "platformatic" : "batch-v1"]["server CPU µs/event"], 2)} in CPU per event (the thread's messages cost CPU; it buys the event loop's time).`,
      ...(o.bus === "embedded" ? ["On the embedded bus the goal is not judged: it is set for Kafka."] : []),
    ],
  };
}
