// The viewers processor on the real local Kafka: a topic and consumer group of this run's own
// (so nothing else on the shared broker reads or feeds them), live views counted once through a
// duplicate delivery, and the same figures again after a restart without counting anything twice.
import { type Bus, type BusMessage, type ConsumeOptions, createBus } from "@reeltime/connectors";
import { exampleEvent, TOPICS } from "@reeltime/events";
import { LOCAL_ENDPOINTS } from "@reeltime/infra";
import { processorMetrics, readLiveViewers, runProcessor } from "@reeltime/processing";
import { ConnectionEnv, createLogger, createRegistry, loadEnv, type Registry } from "@reeltime/runtime";
import { MemoryArchive } from "@reeltime/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ViewersProcessor } from "../src/viewers/viewers.ts";
import { waitFor } from "./fixtures.ts";

const RUN = Date.now().toString(36);
const APP = `int-viewers-${RUN}`;
const log = createLogger("viewers-int", { level: process.env.LOG_LEVEL ?? "silent" });

/** The bus with this run's topic names and group names (`<name>.<run>`). */
function isolated(bus: Bus): Bus {
  const t = (name: string) => `${name}.${RUN}`;
  return new Proxy(bus, {
    get(target, p) {
      if (p === "consume")
        return (o: ConsumeOptions) => target.consume({ ...o, group: t(o.group), topics: o.topics.map(t) });
      if (p === "publish") return (topic: string, messages: BusMessage[]) => target.publish(t(topic), messages);
      const v = Reflect.get(target, p);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

let raw: Bus;
let bus: Bus;
beforeAll(async () => {
  raw = await createBus(
    loadEnv(ConnectionEnv, { REELTIME_BUS: "kafka", REELTIME_KAFKA_BROKERS: LOCAL_ENDPOINTS.kafka.brokers.join(",") }),
  );
  await raw.start();
  await raw.ensureTopics([{ name: `${TOPICS.playback}.${RUN}`, partitions: 2 }]);
  bus = isolated(raw);
});
afterAll(async () => {
  await raw?.shutdown();
});

const encode = (e: object) => new TextEncoder().encode(JSON.stringify(e));
function live(view: string, type: "playback.view_start" | "playback.heartbeat", seq: number, extra: object = {}) {
  const e = exampleEvent(type, { seq });
  return {
    ...e,
    app_id: APP,
    view_id: view,
    received_at: new Date().toISOString(),
    video: { id: "news", stream_type: "live" as const },
    ...extra,
  };
}
const publish = (events: object[]) =>
  bus.publish(
    TOPICS.playback,
    events.map((e) => ({ key: (e as { view_id: string }).view_id, value: encode(e) })),
  );
const counter = async (registry: Registry, name: string, labels: Record<string, string>) =>
  (await registry.getMetricsAsJSON())
    .find((m) => m.name === name)
    ?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;

describe("viewers processor on real Kafka", () => {
  it("counts live viewers once through duplicates, and again after a restart without counting twice", {
    timeout: 120_000,
  }, async () => {
    const archive = new MemoryArchive();
    const figures = async () => (await readLiveViewers(archive, { app: APP })).streams[0];
    const start = async (registry: Registry) =>
      runProcessor(new ViewersProcessor({ registry, archive }, { tickMs: 250 }), {
        bus,
        log,
        metrics: processorMetrics(registry),
      });

    const first = createRegistry("viewers-int-1");
    let running = await start(first);
    const starts = ["a", "b", "c"].map((v) => live(`${APP}-${v}`, "playback.view_start", 0));
    const stats = (playing: number, rebuffer: number) => ({
      state: "playing",
      stats: { playing_ms: playing, rebuffer_ms: rebuffer, rebuffer_count: 1, startup_ms: 400 },
      live: { latency_ms: 6_000, max_behind_live_ms: 0, catchup_ms: 0, catchup_count: 0 },
    });
    // c's start is delivered twice (a producer retry), and c ends.
    await publish([...starts, starts[2]!]);
    await publish([
      live(`${APP}-a`, "playback.heartbeat", 1, stats(9_000, 1_000)),
      live(`${APP}-b`, "playback.heartbeat", 1, stats(10_000, 0)),
      {
        ...exampleEvent("playback.view_end", { seq: 1 }),
        app_id: APP,
        view_id: `${APP}-c`,
        received_at: new Date().toISOString(),
        video: { id: "news", stream_type: "live" },
        stats: { playing_ms: 0, rebuffer_ms: 0, rebuffer_count: 0 },
      },
    ]);
    await waitFor("two viewers of three started", async () => {
      const f = await figures();
      return f?.viewers === 2 && f.started === 3;
    });
    expect(await figures()).toMatchObject({
      viewers: 2,
      started: 3,
      startup_failures: 0,
      rebuffer_ratio: 0.05,
      latency_p50_ms: 6_000,
    });
    expect(await counter(first, "reeltime_playback_views_started_total", { stream_type: "live" })).toBe(3);
    expect(await counter(first, "reeltime_playback_rebuffer_seconds_total", { stream_type: "live" })).toBe(1);

    // Restart: a new instance with a fresh registry; the views keep reporting.
    await running.stop();
    const second = createRegistry("viewers-int-2");
    running = await start(second);
    try {
      await publish([
        live(`${APP}-a`, "playback.heartbeat", 2, stats(18_000, 2_000)),
        live(`${APP}-b`, "playback.heartbeat", 2, stats(20_000, 0)),
      ]);
      // Its own figures (the archive still holds the stopped instance's last ones for a while).
      await waitFor(
        "the restarted instance has both viewers",
        async () => (await counter(second, "reeltime_live_viewers", { app: APP, stream: "news" })) === 2,
      );
      // It writes its snapshots before it sets the gauge: the archive holds its figures now.
      expect((await figures())?.viewers).toBe(2);
      // Met mid-way: no start counted again, and no rebuffering counted from before the restart.
      expect(await counter(second, "reeltime_playback_views_started_total", { stream_type: "live" })).toBe(0);
      expect(await counter(second, "reeltime_playback_rebuffer_seconds_total", { stream_type: "live" })).toBe(0);
    } finally {
      await running.stop();
    }
  });
});
