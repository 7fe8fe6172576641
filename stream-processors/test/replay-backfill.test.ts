import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createArchive, createBus, createSearchStore } from "@reeltime/connectors";
import { ALL_TOPICS, exampleEvent, TOPICS } from "@reeltime/events";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backfill, hourPrefixes } from "../src/backfill.ts";
import { replay } from "../src/replay.ts";
import { startProcessors } from "../src/service.ts";
import { publishAll, syntheticEvents, waitFor } from "./fixtures.ts";

const log = createLogger("test", { level: "silent" });
let dir: string;
let env: ConnectionEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-rb-"));
  env = loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("backfill", () => {
  it("lists the hourly partitions of a range", () => {
    const p = hourPrefixes(new Date("2026-11-22T09:30:00Z"), new Date("2026-11-22T11:00:00Z"));
    expect(p).toContain("events/event_type=playback/dt=2026-11-22/hour=09/");
    expect(p).toContain("events/event_type=job/dt=2026-11-22/hour=10/");
    expect(p.some((x) => x.includes("hour=11"))).toBe(false);
  });

  it("re-indexes archived events into an empty store, in range only, twice harmlessly", async () => {
    const bus = await createBus(env);
    const archive = await createArchive(env);
    const search = await createSearchStore(env);
    await bus.ensureTopics(ALL_TOPICS.map((name) => ({ name, partitions: 2 })));
    const events = syntheticEvents(60, { app: "bf" });
    await publishAll(bus, events);
    const procs = await startProcessors({ bus, search, archive, log, registry: createRegistry("t") }, ["archiver"], {
      archiver: { maxAgeMs: 100 },
    });
    await waitFor(
      "archived",
      async () =>
        (await archive.list("events/")).length > 0 && (await procs.running[0]!.lag()).every((l) => l.lag === 0),
    );
    await procs.stop();

    const fresh = await createSearchStore({ ...env, REELTIME_DATA_DIR: join(dir, "fresh") });
    const range = { from: new Date("2026-11-22T09:00:00Z"), to: new Date("2026-11-22T10:00:00Z") };
    const inRange = events.filter((e) => Date.parse(e.client_ts) < range.to.getTime()).length;
    const seen: number[] = [];
    const r = await backfill({ archive, search: fresh }, range, (p) => seen.push(p.filesDone));
    expect(r.events).toBe(inRange);
    expect(r.indexed).toBe(inRange);
    expect(seen.at(-1)).toBe(r.files);
    await fresh.refresh();
    expect((await fresh.lastN({ app_id: "bf" }, 10_000)).length).toBe(inRange);
    const again = await backfill({ archive, search: fresh }, range);
    expect([again.indexed, again.duplicates]).toEqual([0, inRange]);
    await Promise.all([bus.shutdown(), archive.shutdown(), search.shutdown(), fresh.shutdown()]);
  }, 60_000);
});

describe("replay", () => {
  it("re-publishes dead letters that are valid now and reports the rest", async () => {
    const bus = await createBus({ ...env, REELTIME_DATA_DIR: join(dir, "replay") });
    const search = await createSearchStore({ ...env, REELTIME_DATA_DIR: join(dir, "replay") });
    await bus.ensureTopics(ALL_TOPICS.map((name) => ({ name, partitions: 1 })));
    const fixed = exampleEvent("playback.play");
    const broken = { ...exampleEvent("click"), seq: -1 };
    await search.indexDeadLetters([
      {
        dead_letter_id: "dl-1",
        stage: "ingest",
        reason: "unknown_field",
        message: "m",
        app_id: "demo",
        payload: fixed,
        received_at: new Date().toISOString(),
      },
      {
        dead_letter_id: "dl-2",
        stage: "ingest",
        reason: "unknown_field",
        message: "m",
        app_id: "demo",
        payload: broken,
        received_at: new Date().toISOString(),
      },
      {
        dead_letter_id: "dl-3",
        stage: "ingest",
        reason: "not_a_batch",
        message: "m",
        payload: "garbage",
        received_at: new Date().toISOString(),
      },
    ]);
    const r = await replay({ bus, search }, { reason: "unknown_field" });
    expect(r).toMatchObject({ found: 2, republished: 1, notEvents: 0, noApp: [] });
    expect(r.stillInvalid).toEqual([{ dead_letter_id: "dl-2", problem: "/seq: must be >= 0" }]);
    const got: string[] = [];
    const sub = await bus.consume({
      group: "check",
      topics: [TOPICS.playback],
      handler: async (b) => {
        for (const m of b.messages) got.push(JSON.parse(new TextDecoder().decode(m.value)).event_id);
      },
    });
    await waitFor("replayed event", async () => got.length === 1);
    expect(got).toEqual([fixed.event_id]);
    await sub.stop();
    await bus.shutdown();
    await search.shutdown();
  });

  it("stamps each replayed event as ingest does: the recorded app, received_at and client, never the payload's", async () => {
    const where = join(dir, "stamp");
    const bus = await createBus({ ...env, REELTIME_DATA_DIR: where });
    const search = await createSearchStore({ ...env, REELTIME_DATA_DIR: where });
    await bus.ensureTopics(ALL_TOPICS.map((name) => ({ name, partitions: 1 })));
    const ua =
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15";
    const base = exampleEvent("playback.play");
    const claimsOther = { ...base, event_id: "01930000-0000-7000-8000-00000000a001", app_id: "other-tenant" };
    const forged = {
      ...base,
      event_id: "01930000-0000-7000-8000-00000000a002",
      received_at: "2020-01-01T00:00:00.000Z",
      client: { ip: "10.9.8.7", country: "ZZ", isp: "forged" },
      user_agent: { name: "forged-browser" },
    };
    const noStamp = { ...base, event_id: "01930000-0000-7000-8000-00000000a003" };
    delete (noStamp as Record<string, unknown>).received_at;
    const at = "2026-11-22T09:41:00.000Z";
    const letter = (id: string, payload: unknown, extra: object = {}) => ({
      dead_letter_id: id,
      stage: "ingest",
      reason: "unknown_field",
      message: "m",
      app_id: "tenant-a",
      received_at: at,
      payload,
      ...extra,
    });
    const { app_id: _noApp, ...appless } = letter("s-4", { ...base, event_id: "01930000-0000-7000-8000-00000000a004" });
    await search.indexDeadLetters([
      letter("s-1", claimsOther),
      letter("s-2", forged, { request: { ip: "203.0.113.0", country: "FR", user_agent: ua } }),
      letter("s-3", noStamp),
      appless,
    ]);
    const r = await replay({ bus, search }, { reason: "unknown_field" });
    expect(r).toMatchObject({ found: 4, republished: 3, noApp: ["s-4"] });
    const got = new Map<string, Record<string, unknown>>();
    const sub = await bus.consume({
      group: "check-stamp",
      topics: [TOPICS.playback],
      handler: async (b) => {
        for (const m of b.messages) {
          const e = JSON.parse(new TextDecoder().decode(m.value));
          got.set(e.event_id, e);
        }
      },
    });
    await waitFor("replayed events", async () => got.size === 3);
    await sub.stop();
    for (const e of got.values()) {
      expect(e.app_id).toBe("tenant-a");
      expect(e.received_at).toBe(at);
    }
    expect(got.get(claimsOther.event_id)?.client).toBeUndefined();
    expect(got.get(forged.event_id)?.client).toEqual({ ip: "203.0.113.0", country: "FR" });
    expect(got.get(forged.event_id)?.user_agent).toMatchObject({ original: ua, name: "Safari", os_name: "Mac OS" });
    expect(got.has("01930000-0000-7000-8000-00000000a004")).toBe(false);
    await bus.shutdown();
    await search.shutdown();
  });
});
