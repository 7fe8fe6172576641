import { postLoad, startServer } from "../http-load.ts";
import { type BenchOptions, or } from "../options.ts";
import type { Result } from "../report.ts";
import { WRITE_KEY } from "../servers/keys.ts";
import { median, round, sleep } from "../stats.ts";
import { workload } from "../workload.ts";

const BATCH = 100;

const FORMATS = ["event", "batch-v1"] as const;
type Format = (typeof FORMATS)[number];

interface Run {
  accepted: number;
  ingestSeconds: number;
  endToEnd: number;
  p99: number;
  cpuMicros: number;
  lags: Record<string, number>;
}

/** One server, one format: the batches posted, then until the indexer's lag is 0. */
async function once(o: BenchOptions, format: Format, count: number, connections: number): Promise<Run> {
  const requests = Math.ceil(count / BATCH);
  const app = "bench-embedded";
  const body = JSON.stringify(workload(BATCH, { app }));
  const server = await startServer("embedded", app, o.profile, { REELTIME_BUS_RECORD_FORMAT: format });
  try {
    const cpu = await server.cpuMicros();
    const started = performance.now();
    const r = await postLoad({
      url: `${server.url}/v1/events`,
      body,
      headers: { "content-type": "application/json", "x-reeltime-key": WRITE_KEY },
      connections,
      amount: requests,
    });
    const accepted = r.ok * BATCH;
    let lags: Record<string, number> = {};
    for (;;) {
      lags = (await (await fetch(`${server.url}/bench/lag`)).json()) as Record<string, number>;
      if ((lags.indexer ?? 1) === 0) break;
      if (performance.now() - started > 300_000) throw new Error(`indexer lag still ${lags.indexer} after 300 s`);
      await sleep(100);
    }
    const endToEnd = (performance.now() - started) / 1000;
    const cpuMicros = (await server.cpuMicros()) - cpu;
    o.log(
      `  ${format}: ingest ${Math.round(accepted / r.seconds)} events/s (p99 ${r.p99} ms, non-2xx ${r.non2xx}); searchable ${Math.round(accepted / endToEnd)} events/s end to end; ${round(cpuMicros / Math.max(1, accepted), 1)} µs CPU/event`,
    );
    return { accepted, ingestSeconds: r.seconds, endToEnd, p99: r.p99, cpuMicros, lags };
  } finally {
    await server.stop();
  }
}

/**
 * The embedded default in one process (what `reeltime dev` starts, without the transcode:
 * embedded bus, search and archive, ingest, every processor), in its own process: a fixed number
 * of 100-event batches posted by autocannon, then until the indexer's lag is 0 (searchable).
 * Once per record format per round (one record per event; batch-v1, the default), alternating.
 * Knobs: --events (default 50000), --connections (default 8), --rounds.
 */
export async function embedded(o: BenchOptions): Promise<Result> {
  const count = or(o.events, 50_000);
  const connections = or(o.connections, 8);
  const runs: Record<Format, Run[]> = { event: [], "batch-v1": [] };
  for (let round = 1; round <= o.rounds; round++)
    for (const format of FORMATS) runs[format].push(await once(o, format, count, connections));
  const figures = (format: Format) => {
    const rs = runs[format];
    const accepted = rs.reduce((s, r) => s + r.accepted, 0);
    return {
      "ingest events/s": Math.round(accepted / rs.reduce((s, r) => s + r.ingestSeconds, 0)),
      "end-to-end events/s": Math.round(accepted / rs.reduce((s, r) => s + r.endToEnd, 0)),
      "ingest p99 ms": round(median(rs.map((r) => r.p99))),
      "process CPU µs/event": round(rs.reduce((s, r) => s + r.cpuMicros, 0) / Math.max(1, accepted), 1),
    };
  };
  const batch = figures("batch-v1");
  const event = figures("event");
  return {
    name: "embedded",
    title: "Embedded default: events/s end to end in one process, per record format",
    workload: {
      events: count,
      batch: BATCH,
      connections,
      rounds: o.rounds,
      processors: "all 7",
      partitions: 2,
      indexerFlushMs: 200,
    },
    rows: [
      { label: "batch-v1 records (one per view per request)", figures: batch },
      { label: "one record per event", figures: event },
    ],
    ratio: {
      figure: "end-to-end events/s, batch-v1 ÷ one record per event",
      value: round(batch["end-to-end events/s"] / event["end-to-end events/s"], 3),
    },
    goal: { text: "reported" },
    notes: [
      "End to end: from the first POST until the indexer's lag is 0 (every event searchable); the other processors (sessionizer, archivers, job tracker) run in the same process meanwhile.",
      "Process CPU µs/event: user + system CPU of the whole process (ingest and every processor) from the first POST to lag 0, ÷ events accepted.",
      `Lag of every processor when the indexer reached 0 (last batch-v1 run): ${JSON.stringify(runs["batch-v1"].at(-1)?.lags ?? {})}.`,
    ],
  };
}
