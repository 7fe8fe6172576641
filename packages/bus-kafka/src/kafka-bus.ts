import {
  checkSizes,
  MAX_MESSAGE_BYTES,
  ProduceQueue,
  REQUEST_BYTES,
  requestChunks,
  stoppedError,
  untilTopicsLed,
  withDeadline,
} from "@reeltime/connectors/adapter";
import type { Bus, BusMessage, ConsumeOptions, Health, Subscription } from "@reeltime/ports";
import { ReeltimeError } from "@reeltime/runtime";
import type { Admin, Message, Producer } from "kafkajs";
import kafkajs from "kafkajs";
import { createKafka, type KafkaBusEnv } from "./client.ts";
import { registerCodecs } from "./codecs.ts";
import { kafkaError } from "./errors.ts";
import { KafkaSubscription } from "./subscription.ts";

export type { KafkaBusEnv } from "./client.ts";

/**
 * The Kafka bus (kafkajs). The producer waits for all in-sync replicas (acks=-1), is
 * idempotent with one request in flight (so retries neither duplicate nor reorder), and
 * compresses with zstd by default. Publishes that arrive while a request waits for its acks
 * go out together in the next one (ProduceQueue). Consumers commit only processed offsets.
 */
export function createKafkaBus(env: KafkaBusEnv): Bus {
  const kafka = createKafka(env);
  const timeout = env.REELTIME_BUS_TIMEOUT_MS;
  const brokers = env.REELTIME_KAFKA_BROKERS;
  const subscriptions = new Set<KafkaSubscription>();
  let producer: Promise<Producer> | null = null;
  let admin: Promise<Admin> | null = null;
  let compression: Promise<number> | null = null;
  let stopped = false;
  const queue = new ProduceQueue<Message>(
    async (topicMessages) => {
      const p = await connectedProducer();
      await p.sendBatch({ topicMessages, acks: -1, compression: await (compression as Promise<number>) });
    },
    REQUEST_BYTES,
    env.REELTIME_KAFKA_LINGER_MS,
  );

  const deadline = <T>(work: Promise<T>, what: string) =>
    withDeadline(work, timeout, () =>
      kafkaError(new Error(`no answer within ${timeout} ms (REELTIME_BUS_TIMEOUT_MS)`), brokers, what),
    );

  function connectedProducer(): Promise<Producer> {
    if (stopped) return Promise.reject(stoppedError("kafka"));
    producer ??= (async () => {
      const p = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
      });
      await p.connect();
      return p;
    })();
    const current = producer;
    current.catch(() => {
      if (producer === current) producer = null;
    });
    return current;
  }

  function connectedAdmin(): Promise<Admin> {
    if (stopped) return Promise.reject(stoppedError("kafka"));
    admin ??= (async () => {
      const a = kafka.admin();
      await a.connect();
      return a;
    })();
    const current = admin;
    current.catch(() => {
      if (admin === current) admin = null;
    });
    return current;
  }

  return {
    driver: "kafka",
    maxMessageBytes: MAX_MESSAGE_BYTES,

    async start() {
      compression ??= registerCodecs(env.REELTIME_KAFKA_COMPRESSION);
      await compression;
      await deadline(connectedProducer(), "connect the producer").catch((e) => {
        throw kafkaError(e, brokers, "connect the producer");
      });
    },

    async health(): Promise<Health> {
      try {
        const a = await deadline(connectedAdmin(), "connect");
        const cluster = await deadline(a.describeCluster(), "describe the cluster");
        return { ok: true, driver: "kafka", detail: `${cluster.brokers.length} broker(s)` };
      } catch (e) {
        return { ok: false, driver: "kafka", detail: (e as Error).message };
      }
    },

    async ensureTopics(topics) {
      try {
        const a = await deadline(connectedAdmin(), "connect the admin client");
        const existing = new Set(await a.listTopics());
        const missing = topics.filter((t) => !existing.has(t.name));
        if (missing.length === 0) return;
        await a.createTopics({
          topics: missing.map((t) => ({ topic: t.name, numPartitions: t.partitions })),
          waitForLeaders: false,
        });
        // kafkajs' own waitForLeaders retries only LEADER_NOT_AVAILABLE, not the moment of
        // UNKNOWN_TOPIC_OR_PARTITION a KRaft broker answers after creating topics.
        const names = missing.map((t) => t.name);
        await untilTopicsLed(
          names,
          async () =>
            new Map(
              (await a.fetchTopicMetadata({ topics: names })).topics.map((t) => [
                t.name,
                t.partitions.map((p) => p.leader),
              ]),
            ),
          timeout,
        );
      } catch (e) {
        throw kafkaError(e, brokers, "create topics");
      }
    },

    async publish(topic: string, messages: BusMessage[]) {
      checkSizes(topic, messages);
      if (stopped) throw stoppedError("kafka");
      if (messages.length === 0) return;
      compression ??= registerCodecs(env.REELTIME_KAFKA_COMPRESSION);
      await compression;
      const parts = requestChunks(messages).map((chunk) =>
        queue.push(
          topic,
          chunk.messages.map((m) => ({
            key: m.key,
            // A view of the caller's bytes, not a copy.
            value: Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength),
            headers: m.headers ?? {},
          })),
          chunk.bytes,
        ),
      );
      try {
        await deadline(Promise.all(parts.map((p) => p.done)), `acknowledge ${messages.length} message(s) to ${topic}`);
      } catch (e) {
        for (const p of parts) p.abandon();
        throw kafkaError(e, brokers, `acknowledge ${messages.length} message(s) to ${topic}`);
      }
    },

    async consume(options: ConsumeOptions): Promise<Subscription> {
      if (stopped) throw stoppedError("kafka");
      compression ??= registerCodecs(env.REELTIME_KAFKA_COMPRESSION);
      await compression;
      const sub = new KafkaSubscription(kafka, options, connectedAdmin, brokers);
      await sub.start();
      subscriptions.add(sub);
      return sub;
    },

    async shutdown() {
      if (stopped) return;
      stopped = true;
      await Promise.allSettled([...subscriptions].map((s) => s.stop()));
      const closing = [producer, admin].map(async (c) => {
        if (!c) return;
        const client = await c.catch(() => null);
        await client?.disconnect();
      });
      await withDeadline(
        Promise.allSettled(closing),
        10_000,
        () => new ReeltimeError("REELTIME_ERR_BUS_SHUTDOWN", "kafka clients did not close within 10 s"),
      ).catch(() => {});
    },
  };
}
