import { postLoad, startServer } from "../http-load.ts";
import { type BenchOptions, or } from "../options.ts";
import type { Result } from "../report.ts";
import { WRITE_KEY } from "../servers/keys.ts";
import { round, sleep } from "../stats.ts";
import { workload } from "../workload.ts";

const BATCH = 100;

/**
 * The embedded default in one process (what `reeltime dev` starts, without the transcode:
 * embedded bus, search and archive, ingest, every processor), in its own process: a fixed number
 * of 100-event batches posted by autocannon, then until the indexer's lag is 0 (searchable).
 * Knobs: --events (default 50000), --connections (default 8).
 */
export async function embedded(o: BenchOptions): Promise<Result> {
  const count = or(o.events, 50_000);
  const connections = or(o.connections, 8);
  const requests = Math.ceil(count / BATCH);
  const app = "bench-embedded";
  const body = JSON.stringify(workload(BATCH, { app }));
  const server = await startServer("embedded", app, o.profile);
  let accepted = 0;
  let ingestSeconds = 0;
  let endToEnd = 0;
  let lags: Record<string, number> = {};
  try {
    const started = performance.now();
    const r = await postLoad({
      url: `${server.url}/v1/events`,
      body,
      headers: { "content-type": "application/json", "x-reeltime-key": WRITE_KEY },
      connections,
      amount: requests,
    });
    ingestSeconds = r.seconds;
    accepted = r.ok * BATCH;
    o.log(`  ingest: ${Math.round(accepted / r.seconds)} events/s accepted (p99 ${r.p99} ms, non-2xx ${r.non2xx})`);
    for (;;) {
      lags = (await (await fetch(`${server.url}/bench/lag`)).json()) as Record<string, number>;
      if ((lags.indexer ?? 1) === 0) break;
      if (performance.now() - started > 300_000) throw new Error(`indexer lag still ${lags.indexer} after 300 s`);
      await sleep(100);
    }
    endToEnd = (performance.now() - started) / 1000;
    o.log(`  searchable: ${Math.round(accepted / endToEnd)} events/s end to end`);
  } finally {
    await server.stop();
  }
  return {
    name: "embedded",
    title: "Embedded default: events/s end to end in one process",
    workload: { events: accepted, batch: BATCH, connections, processors: "all 7", partitions: 2, indexerFlushMs: 200 },
    rows: [
      {
        label: "ingest accepted (HTTP 2xx)",
        figures: { "events/s": Math.round(accepted / ingestSeconds), seconds: round(ingestSeconds, 1) },
      },
      {
        label: "end to end (posted → indexer lag 0, searchable)",
        figures: { "events/s": Math.round(accepted / endToEnd), seconds: round(endToEnd, 1) },
      },
    ],
    goal: { text: "reported" },
    notes: [`Lag of every processor when the indexer reached 0: ${JSON.stringify(lags)}.`],
  };
}
