import { randomUUID } from "node:crypto";
import type { Bus, ConsumedMessage } from "@reeltime/ports";
import { busConformance, closedPort } from "@reeltime/testkit";
import kafkajs from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { createKafkaBus, type KafkaBusEnv } from "../src/kafka-bus.ts";

const env = (extra: Partial<KafkaBusEnv> = {}): KafkaBusEnv => ({
  REELTIME_KAFKA_BROKERS: process.env.REELTIME_KAFKA_BROKERS ?? "127.0.0.1:9092",
  REELTIME_KAFKA_CLIENT_ID: "reeltime-test",
  REELTIME_KAFKA_SSL: false,
  REELTIME_KAFKA_COMPRESSION: "zstd",
  REELTIME_KAFKA_LINGER_MS: 5,
  REELTIME_PARTITIONS: 4,
  REELTIME_BUS_TIMEOUT_MS: 4000,
  ...extra,
});

/** Topics made by these tests are deleted afterwards (the Bus port has no delete). */
afterAll(async () => {
  const admin = new kafkajs.Kafka({
    brokers: [env().REELTIME_KAFKA_BROKERS],
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => /^rt-(conf|codec)-/.test(t));
  if (topics.length > 0) await admin.deleteTopics({ topics });
  await admin.disconnect();
});

const down = await closedPort();
busConformance("kafka", async () => createKafkaBus(env()), {
  makeUnavailableBus: async () => createKafkaBus(env({ REELTIME_KAFKA_BROKERS: `127.0.0.1:${down}` })),
});

describe("kafka bus: compression codecs", () => {
  const buses: Bus[] = [];
  afterAll(() => Promise.allSettled(buses.map((b) => b.shutdown())));

  for (const codec of ["zstd", "lz4", "gzip", "none"] as const) {
    it(`writes and reads ${codec} record batches`, async () => {
      const bus = createKafkaBus(env({ REELTIME_KAFKA_COMPRESSION: codec }));
      buses.push(bus);
      const topic = `rt-codec-${codec}-${randomUUID().slice(0, 8)}`;
      await bus.ensureTopics([{ name: topic, partitions: 1 }]);
      const values = Array.from({ length: 50 }, (_, i) => `event ${i} ${"payload ".repeat(20)}`);
      await bus.publish(
        topic,
        values.map((v) => ({ key: "k", value: new TextEncoder().encode(v) })),
      );
      const got: ConsumedMessage[] = [];
      const sub = await bus.consume({
        group: `${topic}-g`,
        topics: [topic],
        handler: async (b) => void got.push(...b.messages),
      });
      const deadline = Date.now() + 30_000;
      while (got.length < 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await sub.stop();
      expect(got.map((m) => new TextDecoder().decode(m.value))).toEqual(values);
    });
  }
});
