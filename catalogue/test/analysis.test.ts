// The content analyses in the catalogue: the reducer keeps the newest run of each analysis
// (order- and repeat-proof, checked against a reference that sorts instead of merging), the row
// stores it (migration 3), and GET /v1/videos/:id answers where in the video things are.
import { type Database, MEMORY_URL, openDatabase } from "@reeltime/database";
import { type JobEvent, validateEvent } from "@reeltime/events";
import { errorHandler } from "@reeltime/http";
import fc from "fast-check";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogueRoutes } from "../src/routes.ts";
import { type CatalogueEvent, mergeStates, recordOf, reduceEvents, videoAnalysisOf } from "../src/state.ts";
import { getVideo, upsertVideo } from "../src/store.ts";
import { migrateCatalogue } from "../src/updater.ts";

type Analysis = NonNullable<JobEvent["job"]["analysis"]>;

let n = 0;
/** A job.step_completed of `step` at minute `minute` carrying `analysis`, valid against the contract. */
function completed(step: string, minute: number, analysis: Analysis, job = "job-1", video = "v1"): CatalogueEvent {
  n++;
  const e = {
    event_id: `0192f3a0-7c1e-7d2a-9b1c-${String(n).padStart(12, "0")}`,
    event_type: "job.step_completed",
    schema_version: "1.0",
    client_ts: new Date(Date.UTC(2026, 10, 22, 10, minute)).toISOString(),
    seq: n,
    app_id: "app-a",
    video: { id: video },
    job: { id: job, status: "completed", step, analysis },
  };
  const checked = validateEvent(e);
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  return e as unknown as CatalogueEvent;
}

const black = (start: number, end: number): Analysis => ({
  provider: "ffmpeg",
  findings: 1,
  total_ms: end - start,
  items: [{ name: "black", start_ms: start, end_ms: end }],
});

/** The proof clip's analyses, as the pipeline reports them. */
const PROOF: CatalogueEvent[] = [
  completed("scenes", 1, {
    provider: "ffmpeg",
    findings: 3,
    items: [
      { name: "scene", start_ms: 2000, end_ms: 2000, score: 1 },
      { name: "scene", start_ms: 3000, end_ms: 3000, score: 1 },
      { name: "scene", start_ms: 7000, end_ms: 7000, score: 0.9454 },
    ],
  }),
  completed("black", 1, black(2000, 3000)),
  completed("freeze", 1, {
    provider: "ffmpeg",
    findings: 2,
    total_ms: 3000,
    items: [
      { name: "freeze", start_ms: 2000, end_ms: 3000 },
      { name: "freeze", start_ms: 5000, end_ms: 7000 },
    ],
  }),
  completed("silence", 1, {
    provider: "ffmpeg",
    findings: 1,
    total_ms: 1500,
    items: [{ name: "silence", start_ms: 4000, end_ms: 5500 }],
  }),
  completed("loudness", 1, {
    provider: "ffmpeg",
    findings: 0,
    integrated_lufs: -23.2,
    loudness_range_lu: 3,
    true_peak_dbtp: -18.7,
    target_lufs: -23,
    loudness_flags: [],
    loudness_ok: true,
  }),
  completed("labels", 2, {
    provider: "rekognition",
    findings: 2,
    labels: ["Beach", "Dog"],
    items: [
      { name: "Dog", parent: "Animal", confidence: 97.4, start_ms: 0, end_ms: 8008 },
      { name: "Beach", confidence: 90, start_ms: 4004, end_ms: 9000 },
    ],
    model_version: "3.0",
  }),
  completed("thumbnails", 2, { poster_ms: 8500 }),
];

const EXPECTED = {
  poster_ms: 8500,
  scene_changes: 3,
  black_ms: 1000,
  freeze_ms: 3000,
  silence_ms: 1500,
  integrated_lufs: -23.2,
  loudness_range_lu: 3,
  true_peak_dbtp: -18.7,
  target_lufs: -23,
  loudness_flags: [],
  loudness_ok: true,
  labels: ["Beach", "Dog"],
  // By start, then analysis order (scenes, black, freeze, silence, loudness, moderation, labels, faces).
  findings: [
    { analysis: "labels", name: "Dog", parent: "Animal", confidence: 97.4, start_ms: 0, end_ms: 8008 },
    { analysis: "scenes", name: "scene", start_ms: 2000, end_ms: 2000, score: 1 },
    { analysis: "black", name: "black", start_ms: 2000, end_ms: 3000 },
    { analysis: "freeze", name: "freeze", start_ms: 2000, end_ms: 3000 },
    { analysis: "scenes", name: "scene", start_ms: 3000, end_ms: 3000, score: 1 },
    { analysis: "silence", name: "silence", start_ms: 4000, end_ms: 5500 },
    { analysis: "labels", name: "Beach", confidence: 90, start_ms: 4004, end_ms: 9000 },
    { analysis: "freeze", name: "freeze", start_ms: 5000, end_ms: 7000 },
    { analysis: "scenes", name: "scene", start_ms: 7000, end_ms: 7000, score: 0.9454 },
  ],
};

describe("the catalogue's analysis", () => {
  it("the video record holds totals and every finding in time order", () => {
    const state = reduceEvents(PROOF).get("app-a/v1")!;
    expect(recordOf(state).analysis).toEqual(EXPECTED);
  });

  it("a video without analysis events has no analysis", () => {
    const other = completed("probe", 1, {} as Analysis, "job-9", "v9");
    const plain = { ...other, job: { id: "job-9", status: "completed", step: "probe" } } as CatalogueEvent;
    expect(recordOf(reduceEvents([plain]).get("app-a/v9")!).analysis).toBeUndefined();
  });

  it("each analysis keeps its newest run, whatever the order and repeats of delivery (against a reference)", () => {
    // Three runs of black and two of loudness at various minutes, two jobs (a rerun).
    const runs = [
      completed("black", 3, black(1000, 1500), "job-1"),
      completed("black", 5, black(2000, 2600), "job-2"),
      completed("black", 4, black(9000, 9900), "job-1"),
      completed("loudness", 4, { integrated_lufs: -30, loudness_flags: ["too_quiet"], loudness_ok: false }, "job-1"),
      completed("loudness", 2, { integrated_lufs: -23, loudness_flags: [], loudness_ok: true }, "job-2"),
      completed("thumbnails", 6, { poster_ms: 4000 }, "job-2"),
      completed("thumbnails", 1, { poster_ms: 100 }, "job-1"),
    ];
    // The reference: per analysis, the event with the greatest (client_ts, event_id).
    const newest = (step: string) =>
      runs
        .filter((e) => (e as JobEvent).job.step === step)
        .sort((a, b) => (a.client_ts + a.event_id < b.client_ts + b.event_id ? -1 : 1))
        .at(-1) as JobEvent;
    const reference = {
      poster_ms: newest("thumbnails").job.analysis!.poster_ms,
      black_ms: newest("black").job.analysis!.total_ms,
      integrated_lufs: -30,
      loudness_flags: ["too_quiet"],
      loudness_ok: false,
      findings: [{ analysis: "black", ...newest("black").job.analysis!.items![0]! }],
    };
    expect(reference).toMatchObject({ poster_ms: 4000, black_ms: 600 });
    fc.assert(
      fc.property(
        fc.shuffledSubarray(runs, { minLength: runs.length, maxLength: runs.length }),
        fc.array(fc.constantFrom(...runs), { maxLength: 6 }),
        fc.nat({ max: runs.length }),
        (order, again, cut) => {
          const delivered = [...order, ...again];
          // Two batches folded apart and merged, as two updaters would.
          const a = reduceEvents(delivered.slice(0, cut)).get("app-a/v1");
          const b = reduceEvents(delivered.slice(cut)).get("app-a/v1");
          const merged = a && b ? mergeStates(b, a) : (a ?? b)!;
          expect(recordOf(merged).analysis).toEqual(reference);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("keeps at most 1600 findings", () => {
    const many = Array.from({ length: 200 }, (_, i) => ({ name: "x", start_ms: i, end_ms: i + 1 }));
    const fact = (v: string) => ({ v, value: { items: many } });
    const analysis = Object.fromEntries(
      ["scenes", "black", "freeze", "silence", "moderation", "labels", "faces", "loudness"].map((k) => [k, fact(k)]),
    );
    expect(videoAnalysisOf(analysis).findings).toHaveLength(1600);
  });
});

describe("stored and answered", () => {
  let db: Database;
  let app: FastifyInstance;
  beforeAll(async () => {
    db = await openDatabase({ REELTIME_PG_URL: MEMORY_URL });
    await migrateCatalogue(db);
    app = Fastify();
    app.setErrorHandler(errorHandler({ bodyLimitBytes: 1024 }));
    await app.register(catalogueRoutes, { prefix: "/v1", db, appOf: () => "app-a" });
  }, 120_000);
  afterAll(async () => {
    await app.close();
    await db.close();
  });

  it("migration 3 adds the column; the row keeps the analysis and GET /v1/videos/:id answers it", async () => {
    const { rows } = await db.query<{ column_name: string; data_type: string }>(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'videos' AND column_name = 'analysis'",
    );
    expect(rows).toEqual([{ column_name: "analysis", data_type: "jsonb" }]);
    // Delivered in two halves, as the two partitions' updaters would.
    await upsertVideo(db, reduceEvents(PROOF.slice(0, 3)).get("app-a/v1")!);
    await upsertVideo(db, reduceEvents(PROOF.slice(3)).get("app-a/v1")!);
    expect((await getVideo(db, "app-a", "v1"))?.analysis).toEqual(EXPECTED);
    const res = await app.inject({ method: "GET", url: "/v1/videos/v1" });
    expect(res.statusCode).toBe(200);
    expect(res.json().analysis).toEqual(EXPECTED);
  });

  it("a video without analysis has none in its row (NULL, not an empty object)", async () => {
    const upload = {
      event_id: "0192f3a0-7c1e-7d2a-9b1c-999999999999",
      event_type: "job.created",
      schema_version: "1.0",
      client_ts: "2026-11-22T10:00:00.000Z",
      seq: 1,
      app_id: "app-a",
      video: { id: "v2" },
      job: { id: "job-2", status: "created" },
    } as unknown as CatalogueEvent;
    await upsertVideo(db, reduceEvents([upload]).get("app-a/v2")!);
    const { rows } = await db.query<{ analysis: unknown }>("SELECT analysis FROM videos WHERE video_id = 'v2'");
    expect(rows).toEqual([{ analysis: null }]);
    const res = await app.inject({ method: "GET", url: "/v1/videos/v2" });
    expect(res.json()).not.toHaveProperty("analysis");
  });
});
