import { type LoadResult, postLoad, startServer } from "../http-load.ts";
import { type BenchOptions, or } from "../options.ts";
import type { Result, Row } from "../report.ts";
import { WRITE_KEY } from "../servers/keys.ts";
import { deleteRunTopics, RUN_ID } from "../services.ts";
import { median, round } from "../stats.ts";
import { workload } from "../workload.ts";

const BATCH = 100;
const GOAL = 150_000;

function sum(runs: LoadResult[]) {
  const seconds = runs.reduce((s, r) => s + r.seconds, 0);
  const ok = runs.reduce((s, r) => s + r.ok, 0);
  return {
    "events/s": Math.round((ok * BATCH) / seconds),
    "requests/s": Math.round(ok / seconds),
    "p50 ms": round(median(runs.map((r) => r.p50))),
    "p99 ms": round(median(runs.map((r) => r.p99))),
    "non-2xx": runs.reduce((s, r) => s + r.non2xx, 0),
    errors: runs.reduce((s, r) => s + r.errors + r.timeouts, 0),
  };
}

/**
 * POST /v1/events with 100-event batches through the real HTTP server (its own process) into
 * Kafka with acks=all, against a bare Fastify route that only parses the same bodies.
 * Knobs: --duration (s per side per round), --rounds, --connections, --profile.
 */
export async function ingest(o: BenchOptions): Promise<Result> {
  const app = `bench-ingest-${RUN_ID}`;
  const connections = or(o.connections, 32);
  const body = JSON.stringify(workload(BATCH, { app }));
  const headers = { "content-type": "application/json", "x-reeltime-key": WRITE_KEY };
  const sides = { baseline: [] as LoadResult[], reeltime: [] as LoadResult[] };
  const servers = {
    baseline: await startServer("bare", app),
    reeltime: await startServer("reeltime", app, o.profile),
  };
  try {
    // Both answer a sample batch first: reeltime must accept all 100 events, or the figures mean nothing.
    const probe = await fetch(`${servers.reeltime.url}/v1/events`, { method: "POST", body, headers });
    const answer = (await probe.json()) as { accepted?: number; results?: { ok: boolean }[] };
    const accepted = answer.accepted ?? answer.results?.filter((r) => r.ok).length;
    if (probe.status >= 300 || accepted !== BATCH)
      throw new Error(`ingest refused the sample batch: ${probe.status} ${JSON.stringify(answer).slice(0, 300)}`);
    for (const side of ["baseline", "reeltime"] as const) {
      o.log(`  warm-up ${side} (2 s)`);
      await postLoad({ url: `${servers[side].url}/v1/events`, body, headers, connections, duration: 2 });
    }
    for (let round = 1; round <= o.rounds; round++)
      for (const side of ["baseline", "reeltime"] as const) {
        const r = await postLoad({
          url: `${servers[side].url}/v1/events`,
          body,
          headers,
          connections,
          duration: o.duration,
        });
        sides[side].push(r);
        o.log(
          `  round ${round} ${side}: ${Math.round((r.ok * BATCH) / r.seconds)} events/s, p50 ${r.p50} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}`,
        );
      }
  } finally {
    await servers.reeltime.stop();
    await servers.baseline.stop();
    await deleteRunTopics().catch((e) => o.log(`  could not delete the run's topics: ${(e as Error).message}`));
  }
  const rows: Row[] = [
    { label: "reeltime (validate, enrich, Kafka acks=all zstd)", figures: sum(sides.reeltime) },
    { label: "baseline (bare Fastify, JSON parse only)", figures: sum(sides.baseline) },
  ];
  const eps = rows[0]!.figures["events/s"] as number;
  return {
    name: "ingest",
    title: "Ingest: POST /v1/events, 100-event batches into Kafka (acks=all)",
    workload: {
      batch: BATCH,
      bodyBytes: Buffer.byteLength(body),
      connections,
      secondsPerSideRound: o.duration,
      rounds: o.rounds,
      partitions: 4,
      server: "own process, 127.0.0.1",
      loadGenerator: "autocannon 9 (main process)",
    },
    rows,
    ratio: { figure: "events/s", value: round(eps / (rows[1]!.figures["events/s"] as number), 3) },
    goal: { text: `≥ ${GOAL.toLocaleString("en")} validated events/s`, met: eps >= GOAL },
    notes: ["Events/s count only 2xx answers × 100; the 503s of load shedding are counted apart."],
  };
}
