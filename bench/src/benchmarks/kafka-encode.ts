import { createRequire } from "node:module";
import { promisify } from "node:util";
import { zstdCompress, zstdDecompress } from "node:zlib";
import { produceV11 } from "@platformatic/kafka";
import { javaCompatiblePartitioner } from "@reeltime/bus-kafka-platformatic";
import { type BusMessage, encodeEventRecords, MAX_MESSAGE_BYTES, type RecordFormat } from "@reeltime/connectors";
import { routeOf, SCHEMA_VERSION } from "@reeltime/events";
import kafkajs from "kafkajs";
import { type BenchOptions, or } from "../options.ts";
import type { Result, Row } from "../report.ts";
import { round } from "../stats.ts";
import { workload } from "../workload.ts";

const BATCH = 100;
const PARTITIONS = 4;
const HEADERS = {
  schema_version: SCHEMA_VERSION,
  "content-type": "application/json",
  traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
};

// kafkajs' own produce request encoder (what its producer sends), reached by path: not in its public API.
const require = createRequire(import.meta.url);
const produceV7 = require("kafkajs/src/protocol/requests/produce/v7/request") as (o: {
  acks: number;
  timeout: number;
  compression: number;
  topicData: { topic: string; partitions: { partition: number; firstSequence: number; messages: unknown[] }[] }[];
}) => { encode(): Promise<{ size(): number }> };

type Encode = (records: { topic: string; messages: BusMessage[] }[]) => Promise<number>;

/** kafkajs: its DefaultPartitioner (Java's murmur2), one record batch per partition, zstd (node:zlib, as the adapter registers it). */
function kafkajsEncoder(): Encode {
  const { CompressionCodecs, CompressionTypes, Partitioners } = kafkajs;
  const zstd = promisify(zstdCompress);
  const unzstd = promisify(zstdDecompress);
  (CompressionCodecs as unknown as Record<number, unknown>)[CompressionTypes.ZSTD] = () => ({
    compress: (encoder: { buffer: Buffer }) => zstd(encoder.buffer),
    decompress: (buffer: Buffer) => unzstd(buffer),
  });
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, i) => ({
    partitionId: i,
    leader: 1,
    partitionErrorCode: 0,
    replicas: [1],
    isr: [1],
  }));
  return async (records) => {
    const topicData = records.map(({ topic, messages }) => {
      const byPartition = new Map<number, unknown[]>();
      for (const m of messages) {
        const message = {
          key: m.key,
          value: Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength),
          headers: m.headers ?? {},
        };
        const partition = partitioner({ topic, partitionMetadata, message });
        byPartition.set(partition, [...(byPartition.get(partition) ?? []), message]);
      }
      return {
        topic,
        partitions: [...byPartition].map(([partition, msgs]) => ({ partition, firstSequence: 0, messages: msgs })),
      };
    });
    const request = produceV7({ acks: -1, timeout: 30_000, compression: CompressionTypes.ZSTD, topicData });
    return (await request.encode()).size();
  };
}

/** @platformatic/kafka as the bus runs it: Java's murmur2 (javaCompatiblePartitioner), its produce request v11 builder, zstd. */
function platformaticEncoder(): Encode {
  return async (records) => {
    const messages = records.flatMap(({ topic, messages: msgs }) =>
      msgs.map((m) => {
        const key = Buffer.from(m.key, "utf8");
        const headers = new Map<Buffer, Buffer>();
        for (const [k, v] of Object.entries(m.headers ?? {})) headers.set(Buffer.from(k), Buffer.from(v));
        return {
          topic,
          key,
          value: Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength),
          headers,
          partition: javaCompatiblePartitioner({ topic }, key) % PARTITIONS,
        };
      }),
    );
    const writer = produceV11.createRequest(-1, 30_000, messages, {
      compression: "zstd",
      producerId: 1n,
      producerEpoch: 0,
    });
    return writer.length;
  };
}

/**
 * The Kafka client's share of ingest's work, without a broker: from the events' JSON to the bytes
 * of a produce request (records built by ingest's encodeEventRecords, keys placed by the driver's
 * partitioner, one record batch per partition, zstd), for each record format on each driver,
 * CPU µs per event (process.cpuUsage, zstd's threadpool included). Baseline: kafkajs writing one
 * record per event, today's path before batch-v1.
 * Knobs: --events (requests of 100 events per side per round, default 2000), --rounds.
 */
export async function kafkaEncode(o: BenchOptions): Promise<Result> {
  const requests = or(o.events, 2000);
  const bodies = Array.from({ length: 20 }, (_, i) =>
    workload(BATCH, { app: "bench-encode", stamped: true, viewTag: `r${i}-` }).map((e) => ({
      ...routeOf(e),
      json: JSON.stringify(e),
    })),
  );
  const drivers = { kafkajs: kafkajsEncoder(), platformatic: platformaticEncoder() };
  const SIDES = [
    ["kafkajs", "event"],
    ["kafkajs", "batch-v1"],
    ["platformatic", "event"],
    ["platformatic", "batch-v1"],
  ] as const;
  const label = (d: string, f: RecordFormat) => `${d}, ${f}`;
  const cpu: Record<string, number[]> = {};
  const bytes: Record<string, number> = {};
  const side = async (driver: keyof typeof drivers, format: RecordFormat, n: number) => {
    const encode = drivers[driver];
    let total = 0;
    const started = process.cpuUsage();
    for (let r = 0; r < n; r++) {
      const body = bodies[r % bodies.length]!;
      const byTopic = new Map<string, Map<string, string[]>>();
      for (const e of body) {
        let byKey = byTopic.get(e.topic);
        if (!byKey) {
          byKey = new Map();
          byTopic.set(e.topic, byKey);
        }
        byKey.set(e.key, [...(byKey.get(e.key) ?? []), e.json]);
      }
      const records = [...byTopic].map(([topic, byKey]) => ({
        topic,
        messages: encodeEventRecords(byKey, format, HEADERS, MAX_MESSAGE_BYTES),
      }));
      total += await encode(records);
    }
    const used = process.cpuUsage(started);
    return { micros: (used.user + used.system) / (n * BATCH), bytesPerEvent: total / (n * BATCH) };
  };
  for (const [d, f] of SIDES) await side(d, f, Math.min(200, requests)); // warm-up
  for (let round = 1; round <= o.rounds; round++)
    for (const [d, f] of SIDES) {
      const r = await side(d, f, requests);
      cpu[label(d, f)] = [...(cpu[label(d, f)] ?? []), r.micros];
      bytes[label(d, f)] = r.bytesPerEvent;
      o.log(
        `  round ${round} ${label(d, f)}: ${round1(r.micros)} µs CPU/event, ${round1(r.bytesPerEvent)} request bytes/event`,
      );
    }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = median(cpu[label("kafkajs", "event")]!);
  const rows: Row[] = SIDES.map(([d, f]) => {
    const m = median(cpu[label(d, f)]!);
    return {
      label: `${d === "kafkajs" ? "kafkajs" : "@platformatic/kafka"}, ${f === "event" ? "one record per event" : "batch-v1 records"}`,
      figures: {
        "CPU µs/event (median)": round1(m),
        "request bytes/event (zstd)": round1(bytes[label(d, f)]!),
        "baseline ÷ this (speed-up)": round(base / m, 2),
      },
    };
  });
  const best = median(cpu[label("kafkajs", "batch-v1")]!);
  return {
    name: "kafka-encode",
    title: "Kafka client encoding: event JSON to produce request bytes, per record format and driver (no broker)",
    workload: {
      requests,
      eventsPerRequest: BATCH,
      viewsPerRequest: new Set(bodies[0]!.map((e) => e.key)).size,
      partitions: PARTITIONS,
      compression: "zstd (node:zlib)",
      rounds: o.rounds,
      what: "encodeEventRecords + partitioner + record batches + zstd; no network, no broker",
    },
    rows,
    ratio: { figure: "CPU µs/event, kafkajs one record per event ÷ kafkajs batch-v1", value: round(base / best, 2) },
    goal: { text: "reported" },
    notes: [
      "kafkajs' produce request v7 encoder and @platformatic/kafka's produce v11 builder, as their producers call them; the adapters' own work (size check, request chunking, queue) is not included.",
    ],
  };
}

const round1 = (n: number) => round(n, 1);
