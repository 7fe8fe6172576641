// Hostile content through ingest and every processor: property-based events whose strings
// carry lone surrogates, NULs and other control characters, bidi marks and the maximum lengths,
// with attributes at their maximum count, plus a 5,000-level nested body and an explicit lone
// surrogate. Each event must end stored everywhere (search, Parquet) or in dead letters, and
// every processor's lag must return to 0. Run on the embedded default (unit tier) and on the
// real services (integration tier).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createArchive, createBus, createSearchStore } from "@reeltime/connectors";
import { ALL_TOPICS, archivePrefix, exampleEvent, LIMITS, TOPICS } from "@reeltime/events";
import { buildApp, loadIngestConfig } from "@reeltime/ingest-api";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { archivedEventIds } from "@reeltime/testkit/workload";
import fc from "fast-check";
import { v7 as uuidv7 } from "uuid";
import { expect } from "vitest";
import { startProcessors } from "../../src/service.ts";

const NASTY = [
  "\ud800",
  "\udfff",
  "\u0000",
  "\u0007",
  "\u001b[31m",
  "\u202e",
  "\u2066",
  "\u200f",
  "\ufeff",
  "😀",
  "\\",
  '"',
];

/** Strings made of ordinary text and hostile code units, up to `max` UTF-16 units. */
const hostile = (max: number) =>
  fc
    .array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 8 })), { maxLength: 40 })
    .map((parts) => parts.join(""))
    .chain((s) => fc.constantFrom(s.slice(0, max), (s + "x".repeat(max)).slice(0, max)));

export interface HostileResult {
  accepted: string[];
  rejectedLetters: number;
}

export async function runHostileScenario(connections: Record<string, string>, opts: { seed: number; runs: number }) {
  const dir = await mkdtemp(join(tmpdir(), "reeltime-hostile-"));
  const app = `hostile-${Date.now().toString(36)}`;
  const env = loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir, ...connections });
  const log = createLogger("hostile", { level: process.env.LOG_LEVEL ?? "silent" });
  const bus = await createBus(env);
  const search = await createSearchStore(env);
  const archive = await createArchive(env);
  await bus.start();
  await bus.ensureTopics(ALL_TOPICS.map((name) => ({ name, partitions: 2 })));
  await search.start();
  await search.init();
  await archive.start();
  const key = "wk_hostile_0123456789abcdef";
  const api = await buildApp({
    config: loadIngestConfig({
      REELTIME_WRITE_KEYS: `${app}:${key}`,
      REELTIME_READ_TOKENS: `${app}:rt_hostile_0123456789abcdef`,
    }),
    bus,
    search,
    logger: log,
  });
  const processors = await startProcessors(
    { bus, search, archive, log, registry: createRegistry("hostile") },
    undefined,
    {
      indexer: { maxDelayMs: 50 },
      archiver: { maxAgeMs: 200 },
      snapshotEveryMs: 100,
      lagIntervalMs: 200,
    },
  );
  // A 503 (load shed: the event loop here is shared with every processor) is retried after a pause.
  const post = async (payload: string) => {
    for (let attempt = 0; ; attempt++) {
      const res = await api.inject({
        method: "POST",
        url: "/v1/events",
        headers: { "content-type": "application/json", "x-reeltime-key": key },
        payload,
      });
      if (res.statusCode !== 503 || attempt >= 20) return res;
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  try {
    const accepted: string[] = [];
    const acceptedViews: string[] = [];
    let rejected = 0;

    // 1. A 5,000-level nested body: refused, and its dead letter must not jam anything.
    const deep = await post(`{"events":[${"[".repeat(5000)}${"]".repeat(5000)}]}`);
    expect([200, 400]).toContain(deep.statusCode);
    rejected += 1;

    // 2. A lone surrogate in page.url, as a JSON escape: accepted, stored as U+FFFD.
    const lone = { ...exampleEvent("playback.heartbeat"), event_id: uuidv7(), view_id: `lone-${app}` };
    const loneText = JSON.stringify({ events: [lone] }).replace(
      JSON.stringify(lone.page!.url).slice(1, -1),
      "https://video.example/watch?\\ud800",
    );
    const loneRes = await post(loneText);
    expect(loneRes.statusCode, loneRes.body).toBe(200);
    accepted.push(lone.event_id);

    // 3. Property-based events: every string field a client controls carries hostile content.
    const arb = fc.record({
      url: hostile(LIMITS.longText),
      title: hostile(LIMITS.shortText),
      attrs: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_.]{0,20}$/), hostile(LIMITS.attributeValueLength), {
        maxKeys: LIMITS.attributes,
      }),
    });
    const samples = fc.sample(arb, { seed: opts.seed, numRuns: opts.runs });
    for (let i = 0; i < samples.length; i += 20) {
      const events = samples.slice(i, i + 20).map((s, j) => {
        const e = exampleEvent("playback.heartbeat");
        return {
          ...e,
          event_id: uuidv7(),
          view_id: `hv-${i + j}-${app}`,
          page: { url: s.url },
          video: { ...e.video, title: s.title },
          attributes: s.attrs,
        };
      });
      const res = await post(JSON.stringify({ events }));
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as { results: { ok: boolean; event_id?: string }[] };
      for (const [j, r] of body.results.entries()) {
        if (r.ok) {
          accepted.push(events[j]!.event_id);
          acceptedViews.push(events[j]!.view_id);
        } else rejected++;
      }
    }

    // 4. Another producer (a replay, a tool) writes straight to the bus, past ingest: a raw lone
    // surrogate in an event (archived and indexed, as U+FFFD in Parquet), a 5,000-level event
    // (each processor reading playback dead-letters it: indexer, archiver, sessionizer,
    // view-archiver) and a 5,000-level dead letter (indexed with a bounded payload).
    const enc = new TextEncoder();
    const raw = {
      ...exampleEvent("playback.heartbeat"),
      event_id: uuidv7(),
      view_id: `direct-${app}`,
      app_id: app,
      received_at: new Date().toISOString(),
    };
    const rawText = JSON.stringify(raw).replace(
      JSON.stringify(raw.page!.url).slice(1, -1),
      "https://video.example/direct?\udc00",
    );
    const deepEvent = `{"app_id":"${app}","event_id":"${uuidv7()}","view_id":"deep-${app}","x":${"[".repeat(5000)}${"]".repeat(5000)}}`;
    const deepLetter = `{"dead_letter_id":"${uuidv7()}","stage":"elsewhere","reason":"deep","message":"m","app_id":"${app}","received_at":"${new Date().toISOString()}","payload":${"[".repeat(5000)}${"]".repeat(5000)}}`;
    await bus.publish(TOPICS.playback, [
      { key: raw.view_id, value: enc.encode(rawText) },
      { key: `deep-${app}`, value: enc.encode(deepEvent) },
    ]);
    await bus.publish(TOPICS.deadLetter, [{ key: app, value: enc.encode(deepLetter) }]);
    accepted.push(raw.event_id);
    rejected += 5;

    // Everything accepted reaches search and Parquet; every refusal is an indexed dead letter; lag 0.
    const until = Date.now() + 120_000;
    let inSearch = new Set<string>();
    let inParquet: string[] = [];
    let letters = 0;
    let lagged = true;
    while (Date.now() < until) {
      await search.refresh();
      inSearch = new Set((await search.lastN({ app_id: app }, 10_000)).map((e) => e.event_id));
      inParquet = await archivedEventIds(archive, archivePrefix.family("playback"), app);
      letters = (await search.deadLetters({}, 10_000)).filter(
        (l) => l.app_id === app || JSON.stringify(l.payload ?? "").includes(app),
      ).length;
      const lags = (await Promise.all(processors.running.map((r) => r.lag()))).flat();
      lagged = lags.some((l) => l.lag > 0);
      if (
        !lagged &&
        accepted.every((id) => inSearch.has(id)) &&
        inParquet.length >= accepted.length &&
        letters >= rejected
      )
        break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(
      accepted.filter((id) => !inSearch.has(id)),
      "accepted but not in search",
    ).toEqual([]);
    expect([...inParquet].sort(), "Parquet holds each accepted event once").toEqual([...accepted].sort());
    expect(letters, "every refusal is an indexed dead letter").toBe(rejected);
    expect(lagged, "every processor's lag returned to 0").toBe(false);
    const stored = (await search.lastN({ app_id: app, view_id: lone.view_id }, 1))[0] as { page?: { url?: string } };
    expect(stored?.page?.url).toBe("https://video.example/watch?\ufffd");
    // The views: one per accepted view id (every accepted event here is a heartbeat of its own view).
    const viewIds = [lone.view_id, raw.view_id, ...acceptedViews];
    for (const id of viewIds) expect((await search.getView(id))?.events, `view ${id}`).toBe(1);
    expect(await search.getView(`deep-${app}`), "the 5,000-level event made no view").toBeUndefined();
    return { accepted, rejected };
  } finally {
    await processors.stop();
    await api.close();
    await bus.shutdown();
    await search.shutdown();
    await archive.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
}
