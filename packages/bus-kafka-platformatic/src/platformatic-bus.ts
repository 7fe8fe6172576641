import {
  Admin,
  findErrorBy,
  type MessageToProduce,
  ProduceAcks,
  Producer,
  stringSerializer,
} from "@platformatic/kafka";
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
import { clientOptions, type PlatformaticKafkaEnv } from "./client.ts";
import { kafkaError } from "./errors.ts";
import { javaCompatiblePartitioner } from "./partitioner.ts";
import { PlatformaticSubscription } from "./subscription.ts";

export type { PlatformaticKafkaEnv } from "./client.ts";

type Outgoing = MessageToProduce<string, Buffer, string, string>;

/**
 * The Kafka bus on @platformatic/kafka, the same promises as @reeltime/bus-kafka's (kafkajs):
 * the producer waits for all in-sync replicas (acks=-1) and is idempotent (one request in flight
 * per connection, so retries neither duplicate nor reorder); keys go to partitions by Java's
 * murmur2 (javaCompatiblePartitioner, partitioner.ts: the same numbers as the client's
 * compatibilityPartitioner and kafkajs' DefaultPartitioner, without its BigInt garbage), so
 * switching drivers keeps every key on its partition. Publishes that arrive while a request
 * waits for its acks go out together in the next one (ProduceQueue). Compression:
 * REELTIME_KAFKA_COMPRESSION (zstd and gzip from node:zlib, lz4 in WebAssembly). Consumers commit
 * only processed offsets (subscription.ts).
 */
export function createPlatformaticKafkaBus(env: PlatformaticKafkaEnv): Bus {
  const timeout = env.REELTIME_BUS_TIMEOUT_MS;
  const brokers = env.REELTIME_KAFKA_BROKERS;
  const subscriptions = new Set<PlatformaticSubscription>();
  let producer: Producer<string, Buffer, string, string> | null = null;
  let admin: Admin | null = null;
  let stopped = false;

  const deadline = <T>(work: Promise<T>, what: string) =>
    withDeadline(work, timeout, () =>
      kafkaError(new Error(`no answer within ${timeout} ms (REELTIME_BUS_TIMEOUT_MS)`), brokers, what),
    );

  function theProducer() {
    if (stopped) throw stoppedError("kafka");
    producer ??= new Producer<string, Buffer, string, string>({
      ...clientOptions(env, "producer"),
      idempotent: true,
      acks: ProduceAcks.ALL,
      compression: env.REELTIME_KAFKA_COMPRESSION,
      partitioner: javaCompatiblePartitioner,
      autocreateTopics: false,
      serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
    });
    return producer;
  }

  function theAdmin(): Admin {
    if (stopped) throw stoppedError("kafka");
    admin ??= new Admin(clientOptions(env, "admin"));
    return admin;
  }

  const queue = new ProduceQueue<Outgoing>(
    async (topicMessages) => {
      await theProducer().send({ messages: topicMessages.flatMap((t) => t.messages) });
    },
    REQUEST_BYTES,
    env.REELTIME_KAFKA_LINGER_MS,
  );

  return {
    driver: "kafka",
    maxMessageBytes: MAX_MESSAGE_BYTES,

    async start() {
      // The producer connects on first use; its metadata call proves the brokers answer.
      await deadline(theProducer().metadata({ topics: [] }), "connect the producer").catch((e) => {
        throw kafkaError(e, brokers, "connect the producer");
      });
    },

    async health(): Promise<Health> {
      try {
        const cluster = await deadline(theAdmin().metadata({ topics: [] }), "describe the cluster");
        return { ok: true, driver: "kafka", detail: `${cluster.brokers.size} broker(s), @platformatic/kafka` };
      } catch (e) {
        return { ok: false, driver: "kafka", detail: (e as Error).message };
      }
    },

    async ensureTopics(topics) {
      try {
        const a = theAdmin();
        const existing = new Set(await deadline(a.listTopics(), "list topics"));
        const missing = topics.filter((t) => !existing.has(t.name));
        if (missing.length === 0) return;
        await deadline(
          a.createTopics({ topics: missing.map((t) => ({ topic: t.name, partitions: t.partitions, replicas: -1 })) }),
          "create topics",
        ).catch((e: unknown) => {
          // Another process created one meanwhile: as idempotent as kafkajs' createTopics.
          if (!(e instanceof Error && findErrorBy(e, "apiId", "TOPIC_ALREADY_EXISTS"))) throw e;
        });
        // Wait until every new partition has a leader, as kafkajs' waitForLeaders does.
        const names = missing.map((t) => t.name);
        await untilTopicsLed(
          names,
          async () => {
            const meta = await a.metadata({ topics: names, forceUpdate: true });
            return new Map([...meta.topics].map(([name, t]) => [name, t.partitions.map((p) => p.leader)]));
          },
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
      const parts = requestChunks(messages).map((chunk) =>
        queue.push(
          topic,
          chunk.messages.map(
            (m): Outgoing => ({
              topic,
              key: m.key,
              // A view of the caller's bytes, not a copy.
              value: Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength),
              ...(m.headers ? { headers: m.headers } : {}),
            }),
          ),
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
      const sub = new PlatformaticSubscription(env, options);
      await sub.start();
      subscriptions.add(sub);
      return sub;
    },

    async shutdown() {
      if (stopped) return;
      stopped = true;
      await Promise.allSettled([...subscriptions].map((s) => s.stop()));
      const closing = [producer, admin].map(async (c) => c?.close());
      await withDeadline(
        Promise.allSettled(closing),
        10_000,
        () => new ReeltimeError("REELTIME_ERR_BUS_SHUTDOWN", "kafka clients did not close within 10 s"),
      ).catch(() => {});
    },
  };
}
