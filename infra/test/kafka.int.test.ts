import { randomUUID } from "node:crypto";
import { ALL_TOPICS } from "@reeltime/events";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { LOCAL_ENDPOINTS } from "../src/local/endpoints.ts";
import { loadSettings } from "../src/local/settings.ts";

const kafka = new Kafka({
  clientId: "reeltime-infra-smoke",
  brokers: [...LOCAL_ENDPOINTS.kafka.brokers],
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
const producer = kafka.producer();
const consumer = kafka.consumer({ groupId: `infra-smoke-${randomUUID()}` });

afterAll(async () => {
  await Promise.allSettled([admin.disconnect(), producer.disconnect(), consumer.disconnect()]);
});

describe("local Kafka (kafkajs)", () => {
  it("has reeltime's topics with the configured partitions", async () => {
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: [...ALL_TOPICS] });
    expect(meta.topics.map((t) => t.name).sort()).toEqual([...ALL_TOPICS].sort());
    for (const t of meta.topics) expect(t.partitions.length).toBeGreaterThanOrEqual(loadSettings().kafkaPartitions);
  });

  it("does not auto-create topics", async () => {
    const impatient = kafka.producer({ retry: { retries: 0 } });
    await impatient.connect();
    try {
      await expect(
        impatient.send({ topic: `reeltime.no-such-topic-${randomUUID()}`, messages: [{ value: "x" }], acks: -1 }),
      ).rejects.toThrow();
    } finally {
      await impatient.disconnect();
    }
  });

  it("produces with acks=all and consumes the message back in a consumer group", async () => {
    // A topic of its own: reeltime's topics carry other components' (e.g. zstd) batches.
    const topic = `reeltime.infra-smoke-${randomUUID()}`;
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2, replicationFactor: 1 }] });
    try {
      const key = `job-${randomUUID()}`;
      const value = JSON.stringify({ event_id: randomUUID(), event_type: "job.smoke" });
      await producer.connect();
      const [ack] = await producer.send({ topic, acks: -1, messages: [{ key, value }] });
      expect(ack?.errorCode).toBe(0);

      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = await new Promise<string>((resolvePromise, reject) => {
        const timer = setTimeout(() => reject(new Error("message not consumed within 60 s")), 60_000);
        consumer.on(consumer.events.CRASH, (e) => {
          clearTimeout(timer);
          reject(e.payload.error);
        });
        void consumer.run({
          eachMessage: async ({ message }) => {
            if (message.key?.toString() === key) {
              clearTimeout(timer);
              resolvePromise(message.value?.toString() ?? "");
            }
          },
        });
      });
      expect(received).toBe(value);
    } finally {
      await consumer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    }
  });
});
