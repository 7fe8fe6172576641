import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Archive, Bus, ConsumedBatch, ConsumedMessage, SearchStore } from "@reeltime/connectors";
import { exampleEvent, TOPICS, type ViewRecord } from "@reeltime/events";
import { createLogger, createRegistry } from "@reeltime/runtime";
import {
  computeView,
  createSessionizer,
  KeyedFold,
  processorMetrics,
  type ViewInput,
} from "@reeltime/stream-processors";
import { type BenchOptions, or } from "../options.ts";
import type { Result, Row } from "../report.ts";
import { round } from "../stats.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const encoder = new TextEncoder();
const BATCH = 500;

/** The heap after a full collection, in bytes. */
function heap(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** Stand-ins that keep nothing: what is measured is the processor's own state and work. */
function stubs() {
  const written = { archiveBytes: 0, records: 0 };
  const archive = {
    driver: "bench",
    start: async () => {},
    shutdown: async () => {},
    put: async (_k: string, body: Uint8Array) => {
      written.archiveBytes += body.length;
      return true;
    },
    get: async () => {
      throw new Error("nothing stored");
    },
    exists: async () => false,
    list: async () => [],
    delete: async () => {},
  } as unknown as Archive;
  const search = {
    getView: async () => undefined,
    upsertViews: async (r: ViewRecord[]) => {
      written.records += r.length;
    },
  } as unknown as SearchStore;
  const bus = { publish: async () => {} } as unknown as Bus;
  return { archive, search, bus, written };
}

const TEMPLATES = {
  start: exampleEvent("playback.view_start") as Record<string, unknown>,
  first: exampleEvent("playback.startup_complete") as Record<string, unknown>,
  beat: exampleEvent("playback.heartbeat") as Record<string, unknown>,
};
const T0 = Date.parse("2026-11-22T10:00:00.000Z");

/** The seq-th event of view v (0: view_start, 1: first frame, then heartbeats every 10 s). */
function event(v: number, seq: number): Uint8Array {
  const t = seq === 0 ? TEMPLATES.start : seq === 1 ? TEMPLATES.first : TEMPLATES.beat;
  const ms = seq === 0 ? 0 : seq === 1 ? 800 : 800 + (seq - 1) * 10_000;
  const hex = (v * 64 + seq).toString(16).padStart(12, "0");
  return encoder.encode(
    JSON.stringify({
      ...t,
      event_id: `01900000-0000-7000-8000-${hex}`,
      view_id: `bench-view-${v}`,
      seq,
      client_ts: new Date(T0 + v + ms).toISOString(),
      received_at: new Date(T0 + v + ms + 40).toISOString(),
      ...(seq === 1 ? { startup_ms: 800 } : {}),
    }),
  );
}

interface Side {
  label: string;
  make: (deps: ReturnType<typeof stubs>) => KeyedFold<ViewInput, ViewRecord>;
}

interface SideFigures {
  seconds: number;
  /** CPU time of this process while folding (user + system), which a shared machine does not inflate. */
  cpuSeconds: number;
  bytesPerView: number;
  archiveBytes: number;
  records: number;
  snapshotMs?: number;
  snapshotBytes?: number;
}

/**
 * The messages of every pass (pass `seq` holds event `seq` of each view), in 500-message batches
 * across 8 partitions as a consumer receives them.
 */
function workload(views: number, perView: number): ConsumedBatch[][] {
  const passes: ConsumedBatch[][] = [];
  let offset = 0;
  for (let seq = 0; seq < perView; seq++) {
    const batches: ConsumedBatch[] = [];
    for (let from = 0; from < views; from += BATCH) {
      const partition = String((from / BATCH) % 8);
      const messages: ConsumedMessage[] = [];
      for (let v = from; v < Math.min(from + BATCH, views); v++)
        messages.push({
          topic: TOPICS.playback,
          partition,
          offset: String(offset++),
          key: `bench-view-${v}`,
          value: event(v, seq),
          headers: {},
          timestamp: 0,
        });
      batches.push({ topic: TOPICS.playback, partition, messages });
    }
    passes.push(batches);
  }
  return passes;
}

/**
 * Opens `views` views (view_start and first frame) and folds `beats` heartbeats into each
 * through KeyedFold, with its checkpoints (every 2 s by default) and record writes to stand-ins
 * that keep nothing. Every message is made before the clock starts, so folding runs back to
 * back as a consumer under load does: the fold's own clock, which sets when a checkpoint is
 * due, sees folding time only. (Made pass by pass between folds, the second or so each pass took
 * to make counted towards the 2 s, and a round of checkpoints fell due at the start of nearly
 * every pass: 4 rounds in 5 s of folding, twice the rate of a saturated consumer.) Neither the
 * JSON of the workload nor its garbage is counted. Memory: heap after a full GC with every view
 * open, minus the heap before, per view (the workload is held in both).
 */
async function runSide(side: Side, views: number, beats: number, log: (l: string) => void): Promise<SideFigures> {
  const deps = stubs();
  const commit = Object.assign(async () => {}, { hold: () => 1 });
  const perView = beats + 2;
  log(`    ${side.label}: making ${views * perView} messages`);
  const passes = workload(views, perView);
  const before = heap();
  const fold = side.make(deps);
  let busy = 0;
  let cpu = 0;
  let lastTick = performance.now();
  for (let seq = 0; seq < perView; seq++) {
    const batches = passes[seq]!;
    const t = performance.now();
    const c = process.cpuUsage();
    for (const batch of batches) {
      await fold.handle(batch, commit as never);
      if (performance.now() - lastTick >= 1000) {
        await fold.tick(commit as never);
        lastTick = performance.now();
      }
    }
    busy += performance.now() - t;
    const used = process.cpuUsage(c);
    cpu += (used.user + used.system) / 1000;
    log(`    ${side.label}: ${seq + 1}/${perView} events per view folded, ${round(busy / 1000, 1)} s busy`);
  }
  const t = performance.now();
  const c = process.cpuUsage();
  await fold.flush(commit as never);
  busy += performance.now() - t;
  const used = process.cpuUsage(c);
  cpu += (used.user + used.system) / 1000;
  const after = heap();
  if (fold.size !== views) throw new Error(`${side.label} holds ${fold.size} views, expected ${views}`);
  // Read after `after`, so the workload is still held there as it was for `before`: the
  // difference is the views' state alone.
  if (passes.length !== perView) throw new Error(`${side.label}: the workload has ${passes.length} passes`);
  return {
    seconds: busy / 1000,
    cpuSeconds: cpu / 1000,
    bytesPerView: (after - before) / views,
    archiveBytes: deps.written.archiveBytes,
    records: deps.written.records,
  };
}

/**
 * The sessionizer with 100k open views: compact per-view state (QoE accumulators, incremental
 * checkpoints) against the recompute approach it replaced (every raw event kept, each touched
 * view recomputed from all of its events). Knobs: --events (open views, default 100000),
 * --samples (heartbeats per view after the first frame, default 10: about 8 s of folding, four
 * rounds of checkpoints at 2 s; with 4, a run of 4 to 5 s held two or three rounds depending on
 * where it ended, and its figure moved by a sixth with that alone).
 */
export async function sessionizer(o: BenchOptions): Promise<Result> {
  const views = or(o.events, 100_000);
  const beats = or(o.samples, 10);
  const log = createLogger("bench-sessionizer", { level: "silent" });
  const metrics = () => processorMetrics(createRegistry(`bench-${Math.random()}`));
  const sides: Side[] = [
    {
      label: "reeltime (compact state)",
      make: (d) =>
        createSessionizer({ search: d.search, archive: d.archive, bus: d.bus, log, metrics: metrics() }) as never,
    },
    {
      // The same at a checkpoint every 10 s (REELTIME_CHECKPOINT_MS=10000): records and state
      // are written per view changed since the last checkpoint, so their share of the cost
      // falls as more events per view land between two checkpoints.
      label: "reeltime (compact state), checkpoint every 10 s",
      make: (d) =>
        createSessionizer(
          { search: d.search, archive: d.archive, bus: d.bus, log, metrics: metrics() },
          { snapshotEveryMs: 10_000 },
        ) as never,
    },
    {
      label: "baseline (recompute from raw events)",
      make: (d) =>
        new KeyedFold<ViewInput, ViewRecord>(
          {
            name: "sessionizer",
            group: "bench-recompute",
            topic: TOPICS.playback,
            keyOf: (e) => e.view_id,
            compute: (events, { timedOut }) => computeView(events, { timedOut }),
            isFinal: (r) => r.status === "ended",
            upsert: (r) => d.search.upsertViews(r),
            timeoutMs: 3_600_000,
          },
          { archive: d.archive, bus: d.bus, log, metrics: metrics() },
        ),
    },
  ];
  const figures: SideFigures[] = [];
  for (const side of sides) {
    o.log(`  ${side.label}: ${views} views, ${beats + 2} events each`);
    figures.push(await runSide(side, views, beats, o.log));
    gc();
  }
  // What the replaced checkpoint did every 2 s: the whole partition state as one JSON text.
  const raw = Array.from({ length: views }, (_, v) => ({
    key: `bench-view-${v}`,
    events: Array.from({ length: beats + 2 }, (_, s) => JSON.parse(new TextDecoder().decode(event(v, s)))),
  }));
  const t = performance.now();
  // Key by key and summed: as one text, more events per view (--samples) pass V8's longest string.
  let whole = '{"version":1,"keys":[]}'.length;
  for (const k of raw) whole += JSON.stringify(k).length + 1;
  const wholeMs = performance.now() - t;
  const events = views * (beats + 2);
  const rows: Row[] = sides.map((s, i) => {
    const f = figures[i]!;
    return {
      label: s.label,
      figures: {
        "views/s": Math.round(views / f.seconds),
        "events/s": Math.round(events / f.seconds),
        "events per CPU-second": Math.round(events / f.cpuSeconds),
        "bytes per open view": Math.round(f.bytesPerView),
        "checkpoint MB written": round(f.archiveBytes / 1e6, 1),
        "records written": f.records,
      },
    };
  });
  const [compact, slower, recompute] = figures as [SideFigures, SideFigures, SideFigures];
  return {
    name: "sessionizer",
    title: "Sessionizer: 100k open views, compact state vs recomputing from raw events",
    workload: {
      openViews: views,
      eventsPerView: beats + 2,
      batch: BATCH,
      partitions: 8,
      checkpointEveryMs: "2000 (the default; 10000 on the second reeltime side)",
      stores: "stand-ins that keep nothing (archive counts bytes, views store counts records)",
    },
    rows,
    ratio: { figure: "views/s", value: round(recompute.seconds / compact.seconds, 2) },
    // Issue [18]: at least 100k playback events per second on one core with 100k open views. The
    // fold runs on one thread, so events per CPU-second of this process is that figure, and a
    // shared machine's other work does not lower it (the wall-clock rate is in the table too).
    goal: {
      text: "≥ 100,000 events per CPU-second (one core) with 100k open views",
      met: views >= 100_000 && events / compact.cpuSeconds >= 100_000,
    },
    notes: [
      `CPU: reeltime ${round(compact.cpuSeconds, 1)} s for ${events} events (${round((compact.cpuSeconds * 1e6) / events, 2)} µs per event; ${round((slower.cpuSeconds * 1e6) / events, 2)} µs with a checkpoint every 10 s), baseline ${round(recompute.cpuSeconds, 1)} s; wall-clock busy time ${round(compact.seconds, 1)} s and ${round(recompute.seconds, 1)} s.`,
      `Memory: reeltime ${Math.round(compact.bytesPerView)} bytes per open view, baseline ${Math.round(recompute.bytesPerView)} (${round(recompute.bytesPerView / compact.bytesPerView, 1)}×); heap after a full GC, all views open.`,
      `The baseline already checkpoints incrementally (the log both use); the snapshot it replaced wrote the whole state every 2 s: ${round(whole / 1e6, 1)} MB of JSON for these views, ${Math.round(wholeMs)} ms to serialise once.`,
      "Records are written once per checkpoint per changed view (both sides), not once per batch.",
    ],
  };
}
