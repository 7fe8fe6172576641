import { randomUUID } from "node:crypto";
import { Admin } from "@platformatic/kafka";
import type { Bus, ConsumedMessage } from "@reeltime/ports";
import { busConformance, closedPort } from "@reeltime/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { createPlatformaticKafkaBus, type PlatformaticKafkaEnv } from "../src/platformatic-bus.ts";

const env = (extra: Partial<PlatformaticKafkaEnv> = {}): PlatformaticKafkaEnv => ({
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
  const admin = new Admin({ clientId: "reeltime-test-cleanup", bootstrapBrokers: [env().REELTIME_KAFKA_BROKERS] });
  try {
    const topics = (await admin.listTopics()).filter((t) => /^rt-(conf|pcodec|pswitch)-/.test(t));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.close();
  }
});

const down = await closedPort();
busConformance("kafka-platformatic", async () => createPlatformaticKafkaBus(env()), {
  makeUnavailableBus: async () => createPlatformaticKafkaBus(env({ REELTIME_KAFKA_BROKERS: `127.0.0.1:${down}` })),
});

describe("kafka bus on @platformatic/kafka: compression codecs", () => {
  const buses: Bus[] = [];
  afterAll(() => Promise.allSettled(buses.map((b) => b.shutdown())));

  for (const codec of ["zstd", "lz4", "gzip", "none"] as const) {
    it(`writes and reads ${codec} record batches`, async () => {
      const bus = createPlatformaticKafkaBus(env({ REELTIME_KAFKA_COMPRESSION: codec }));
      buses.push(bus);
      const topic = `rt-pcodec-${codec}-${randomUUID().slice(0, 8)}`;
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

describe("switching drivers on one topic", () => {
  it("keeps every key on the partition kafkajs chose (Java's murmur2), and each driver reads what the other wrote", async () => {
    const { createKafkaBus } = await import("@reeltime/bus-kafka");
    const kafkajs = createKafkaBus(env());
    const platformatic = createPlatformaticKafkaBus(env());
    try {
      const topic = `rt-pswitch-${randomUUID().slice(0, 8)}`;
      await kafkajs.ensureTopics([{ name: topic, partitions: 8 }]);
      const keys = Array.from({ length: 64 }, (_, i) => `view-${i}-${"é".repeat(i % 3)}`);
      const enc = (s: string) => new TextEncoder().encode(s);
      await kafkajs.publish(
        topic,
        keys.map((k) => ({ key: k, value: enc(`kafkajs:${k}`) })),
      );
      await platformatic.publish(
        topic,
        keys.map((k) => ({ key: k, value: enc(`platformatic:${k}`) })),
      );
      for (const [name, bus] of [
        ["kafkajs", kafkajs],
        ["platformatic", platformatic],
      ] as const) {
        const got: ConsumedMessage[] = [];
        const sub = await bus.consume({
          group: `${topic}-${name}`,
          topics: [topic],
          handler: async (b) => void got.push(...b.messages),
        });
        const deadline = Date.now() + 30_000;
        while (got.length < 2 * keys.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        await sub.stop();
        expect(got).toHaveLength(2 * keys.length);
        for (const k of keys) {
          const of = got.filter((m) => m.key === k);
          expect(new Set(of.map((m) => m.partition)).size, `${name} reads ${k} from one partition`).toBe(1);
          expect(of.map((m) => new TextDecoder().decode(m.value))).toEqual([`kafkajs:${k}`, `platformatic:${k}`]);
        }
      }
    } finally {
      await kafkajs.shutdown();
      await platformatic.shutdown();
    }
  });
});
