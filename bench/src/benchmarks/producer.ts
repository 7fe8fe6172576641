import { promisify } from "node:util";
import { zstdCompress, zstdDecompress } from "node:zlib";
import type { Bus, BusMessage } from "@reeltime/connectors";
import { createBus } from "@reeltime/connectors";
import { LOCAL_ENDPOINTS } from "@reeltime/infra";
import kafkajs from "kafkajs";
import { type BenchOptions, or } from "../options.ts";
import type { Result } from "../report.ts";
import { deleteRunTopics, RUN_ID, realEnv, topicPrefix } from "../services.ts";
import { median, round } from "../stats.ts";
import { workload } from "../workload.ts";

const BATCH = 100;
const PARTITIONS = 4;
const zstd = promisify(zstdCompress);
const unzstd = promisify(zstdDecompress);

type Publish = (messages: BusMessage[]) => Promise<void>;

/** Publishes 100-message batches with `concurrency` calls in flight for `seconds`; returns acknowledged messages/s. */
async function drive(publish: Publish, batches: BusMessage[][], concurrency: number, seconds: number) {
  let acked = 0;
  let next = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < until) {
      const batch = batches[next++ % batches.length]!;
      await publish(batch);
      acked += batch.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return acked / ((performance.now() - started) / 1000);
}

/** kafkajs as a careful user would set it up by hand: the adapter's settings, nothing else. */
async function rawProducer(topic: string) {
  const { CompressionCodecs, CompressionTypes } = kafkajs;
  (CompressionCodecs as unknown as Record<number, unknown>)[CompressionTypes.ZSTD] = () => ({
    compress: (encoder: { buffer: Buffer }) => zstd(encoder.buffer),
    decompress: (buffer: Buffer) => unzstd(buffer),
  });
  const kafka = new kafkajs.Kafka({
    clientId: `reeltime-bench-raw-${RUN_ID}`,
    brokers: [...LOCAL_ENDPOINTS.kafka.brokers],
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const publish: Publish = async (messages) => {
    await producer.send({
      topic,
      acks: -1,
      compression: CompressionTypes.ZSTD,
      messages: messages.map((m) => ({ key: m.key, value: Buffer.from(m.value), headers: m.headers ?? {} })),
    });
  };
  return { publish, close: () => producer.disconnect() };
}

/**
 * The Kafka Bus adapter's publish rate against raw kafkajs with the same settings (idempotent,
 * one request in flight, acks=all, zstd), same 100-message batches, same topic layout; the Bus
 * on each Kafka driver (kafkajs, the default; @platformatic/kafka, REELTIME_KAFKA_DRIVER=platformatic),
 * in alternating rounds.
 * Knobs: --duration (s per side per round), --rounds, --connections (publishes in flight, default 8).
 */
export async function producer(o: BenchOptions): Promise<Result> {
  const concurrency = or(o.connections, 8);
  const encoder = new TextEncoder();
  const events = workload(20 * BATCH, { app: `bench-producer-${RUN_ID}`, stamped: true });
  const headers = { schema_version: "1", "content-type": "application/json" };
  const messages = events.map((e) => ({
    key: (e as { view_id: string }).view_id,
    value: encoder.encode(JSON.stringify(e)),
    headers,
  }));
  const batches: BusMessage[][] = [];
  for (let i = 0; i < messages.length; i += BATCH) batches.push(messages.slice(i, i + BATCH));
  const prefix = topicPrefix("producer");
  const bus: Bus = await createBus(realEnv());
  const second: Bus = await createBus(realEnv({ REELTIME_KAFKA_DRIVER: "platformatic" }));
  await bus.start();
  await second.start();
  await bus.ensureTopics([
    { name: `${prefix}adapter`, partitions: PARTITIONS },
    { name: `${prefix}platformatic`, partitions: PARTITIONS },
    { name: `${prefix}raw`, partitions: PARTITIONS },
  ]);
  const raw = await rawProducer(`${prefix}raw`);
  const SIDES = ["baseline", "reeltime", "platformatic"] as const;
  const sides = {
    reeltime: (m: BusMessage[]) => bus.publish(`${prefix}adapter`, m),
    platformatic: (m: BusMessage[]) => second.publish(`${prefix}platformatic`, m),
    baseline: raw.publish,
  };
  const rates = { reeltime: [] as number[], platformatic: [] as number[], baseline: [] as number[] };
  try {
    for (const side of SIDES) await drive(sides[side], batches, concurrency, 2);
    for (let round = 1; round <= o.rounds; round++)
      for (const side of SIDES) {
        const rate = await drive(sides[side], batches, concurrency, o.duration);
        rates[side].push(rate);
        o.log(`  round ${round} ${side}: ${Math.round(rate)} messages/s`);
      }
  } finally {
    await raw.close();
    await bus.shutdown();
    await second.shutdown();
    await deleteRunTopics().catch((e) => o.log(`  could not delete the run's topics: ${(e as Error).message}`));
  }
  const a = median(rates.reeltime);
  const p = median(rates.platformatic);
  const b = median(rates.baseline);
  const ratio = round(a / b, 3);
  const bytes = messages.reduce((s, m) => s + m.value.byteLength, 0) / messages.length;
  return {
    name: "producer",
    title: "Producer: the Kafka Bus on kafkajs and on @platformatic/kafka vs raw kafkajs (same settings)",
    workload: {
      batch: BATCH,
      concurrentPublishes: concurrency,
      messageBytes: Math.round(bytes),
      partitions: PARTITIONS,
      settings: "idempotent, maxInFlightRequests 1, acks=all, zstd (node:zlib)",
      secondsPerSideRound: o.duration,
      rounds: o.rounds,
    },
    rows: [
      {
        label: "reeltime (Bus.publish, kafkajs)",
        figures: {
          "messages/s (median)": Math.round(a),
          "÷ baseline": ratio,
          rounds: rates.reeltime.map(Math.round).join(" / "),
        },
      },
      {
        label: "reeltime (Bus.publish, @platformatic/kafka)",
        figures: {
          "messages/s (median)": Math.round(p),
          "÷ baseline": round(p / b, 3),
          rounds: rates.platformatic.map(Math.round).join(" / "),
        },
      },
      {
        label: "baseline (raw kafkajs send)",
        figures: {
          "messages/s (median)": Math.round(b),
          "÷ baseline": 1,
          rounds: rates.baseline.map(Math.round).join(" / "),
        },
      },
    ],
    ratio: { figure: "messages/s", value: ratio },
    goal: { text: "ratio ≥ 0.9", met: ratio >= 0.9 },
    notes: [`@platformatic/kafka ÷ kafkajs, both through the Bus: ${round(p / a, 3)} (same run, alternating rounds).`],
  };
}
