import { packEventRecords } from "@reeltime/connectors";
import {
  CLIENT_FAMILIES,
  enrichInPlace,
  parseUserAgent,
  type ReeltimeEvent,
  routeOf,
  validateBatch,
  warmUpValidators,
  withoutServerFields,
} from "@reeltime/events";
import { type BenchOptions, or } from "../options.ts";
import type { Result, Row } from "../report.ts";
import { median, round } from "../stats.ts";
import { workload } from "../workload.ts";

const BATCH = 100;
const round2 = (n: number) => round(n, 2);

/**
 * The stages of POST /v1/events in one process, without HTTP or a bus, on the ingest benchmark's
 * body: each case runs the request path up to one stage more than the one before (parse; strip
 * the server's fields and validate; enrich; one JSON text per event; records grouped by view and
 * encoded as batch-v1), on a freshly parsed body each time, in alternating rounds. The baseline
 * is JSON.parse alone, what the bare route of the `ingest` benchmark pays. Where a change to the
 * request path goes, read before the server's figures (which add HTTP, the bus, the answers and
 * garbage collection). Knobs: --rounds (default 15), --events (requests per case per round, 1000).
 */
export async function ingestStages(o: BenchOptions): Promise<Result> {
  const rounds = Math.max(o.rounds, 15);
  const requests = or(o.events, 1000);
  const body = JSON.stringify(workload(BATCH, { app: "bench-stages" }));
  warmUpValidators();
  const userAgent = parseUserAgent("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0");
  const ctx = {
    appId: "bench-stages",
    receivedAt: new Date().toISOString(),
    ip: "203.0.113.0",
    ...(userAgent ? { userAgent } : {}),
  };
  const upTo = (stage: number) => () => {
    const raw = JSON.parse(body) as unknown[];
    if (stage === 0) return raw;
    const results = validateBatch(raw.map(withoutServerFields), { families: CLIENT_FAMILIES }).results;
    if (stage === 1) return results;
    const events = results.map((r) => (r.ok ? enrichInPlace(r.event as unknown as Record<string, unknown>, ctx) : {}));
    if (stage === 2) return events;
    const jsons = events.map((e) => JSON.stringify(e));
    if (stage === 3) return jsons;
    const byKey = new Map<string, string[]>();
    for (let i = 0; i < events.length; i++) {
      const { key } = routeOf(events[i] as unknown as ReeltimeEvent);
      const list = byKey.get(key);
      if (list) list.push(jsons[i]!);
      else byKey.set(key, [jsons[i]!]);
    }
    return packEventRecords(byKey, "batch-v1", {}, 1_048_576);
  };
  const CASES = [
    "JSON.parse of the body (baseline)",
    "+ strip server fields, validate",
    "+ enrich",
    "+ JSON text per event",
    "+ batch-v1 records (group by view, encode)",
  ];
  const cases = CASES.map((_, i) => upTo(i));
  const checked = upTo(1)() as { ok: boolean }[];
  if (checked.length !== BATCH || checked.some((r) => !r.ok))
    throw new Error("the contract refused an event of the workload: the figures would mean nothing");
  for (const f of cases) for (let i = 0; i < 200; i++) f();
  const micros: number[][] = CASES.map(() => []);
  for (let r = 0; r < rounds; r++)
    cases.forEach((f, i) => {
      const before = process.cpuUsage();
      for (let n = 0; n < requests; n++) f();
      const used = process.cpuUsage(before);
      micros[i]!.push((used.user + used.system) / (requests * BATCH));
    });
  const m = micros.map((list) => median(list));
  const base = m[0]!;
  o.log(CASES.map((c, i) => `  ${c}: ${round2(m[i]!)} µs CPU/event`).join("\n"));
  const rows: Row[] = CASES.map((label, i) => ({
    label,
    figures: {
      "CPU µs/event (median)": round2(m[i]!),
      "min of rounds": round2(Math.min(...micros[i]!)),
      "this stage": i === 0 ? round2(base) : round2(m[i]! - m[i - 1]!),
      "÷ parse": round2(m[i]! / base),
    },
  }));
  return {
    name: "ingest-stages",
    title: "Ingest's request path in one process, stage by stage (no HTTP, no bus)",
    workload: {
      batch: BATCH,
      bodyBytes: Buffer.byteLength(body),
      requestsPerCasePerRound: requests,
      rounds,
      process: "the benchmark's own (main thread), a freshly parsed body per request",
    },
    rows,
    ratio: { figure: "CPU µs/event, JSON.parse ÷ the whole path", value: round(base / m[m.length - 1]!, 3) },
    goal: { text: "reported (the server's ratio is the `ingest` benchmark's)" },
    notes: [
      "Medians over alternating rounds; each case includes the stages above it, so 'this stage' is the difference of two medians.",
      "Not counted here: HTTP and Fastify, the write guard and hooks, the per-event answers, the bus client, garbage collection on other threads.",
    ],
  };
}
