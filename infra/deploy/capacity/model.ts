import { readFileSync, writeFileSync } from "node:fs";
import { exampleEvents, ilmPolicy } from "@reeltime/events";

/**
 * The capacity model behind docs/capacity.md. Inputs are either facts (service limits, list
 * prices, sizes measured on the contract's example events) or assumptions, marked as such,
 * to be replaced by the benchmark results of bench/ when they exist.
 * `node infra/deploy/capacity/model.ts --write` rewrites the generated block of the doc.
 */
export const INPUTS = {
  concurrentViewers: 1_000_000,
  secondsBetweenEvents: 10,
  /** Share of other families (clicks, jobs, API records) on top of playback. */
  otherFamiliesShare: 0.02,
  /** Bytes of Kafka headers / Kinesis framing per message (trace context, key). */
  overheadBytesPerMessage: 120,
  /** Consumer groups reading reeltime.playback: indexer, sessionizer, archiver, view-archiver, viewers. */
  playbackConsumerGroups: 5,
  kafka: {
    /** Assumption: a comfortable write rate per partition (compressed bytes). */
    bytesPerPartitionPerSecond: 5_000_000,
    /** Assumption: zstd on JSON batches. */
    compressionRatio: 0.25,
    /** Room to double the consumers of a group to drain a backlog after an outage. */
    consumerHeadroom: 2,
    brokers: 3,
    replicationFactor: 3,
    retentionHours: 24,
  },
  kinesis: {
    /** Service limits per shard. */
    recordsInPerShard: 1000,
    bytesInPerShard: 1_000_000,
    bytesOutPerShard: 2_000_000,
    /** Messages packed per record: a view's batch shares its key; 1 at one event per 10 s. */
    eventsPerRecord: 1,
  },
  /** Kinesis shard leases in DynamoDB (packages/bus-kinesis, DynamoDbCheckpointStore), on demand. */
  leases: {
    /** REELTIME_KINESIS_LEASE_MS: every lease is renewed (one PutItem) each third of it. */
    leaseMs: 10_000,
    /** Assumption: checkpoints (one PutItem each) per shard per group per second: a batch commit a second. */
    checkpointsPerShardPerSecond: 1,
    /** A lease row as stored (keys, owner, counter, checkpoint, parents, ttl). */
    rowBytes: 400,
  },
  /** Assumption until bench/ measures them: events/s one instance of 1 vCPU sustains. */
  eventsPerSecondPerInstance: {
    indexer: 5000,
    sessionizer: 15_000,
    archiver: 20_000,
    "view-archiver": 15_000,
    // Measured by hand (2026-12-04, 20k live views x 10 reports in one partition): 12.4 µs CPU per
    // event decoded and folded, plus 262 ms per 2 s figure tick; taken at a quarter for headroom.
    viewers: 20_000,
  } as Record<string, number>,
  /** The sessionizer's memory: views it holds (open ones, and finished ones for their grace period). */
  sessionizer: {
    /**
     * Measured: heap per open view with 100k views open, after a full GC (`npm run bench
     * sessionizer`, 2026-12-03: compact state 1,275 bytes, constant in the view's length; the
     * recompute approach it replaced, every raw event kept, 4,715 bytes at 6 events per view).
     */
    bytesPerOpenView: 1275,
    /** Assumption: mean length of a view. */
    meanViewMinutes: 10,
    /** How long a finished view stays in memory for late duplicates (KeyedFold graceMs). */
    graceMinutes: 10,
  },
  elasticsearch: {
    /** Assumption: bytes on disk per event per copy relative to its JSON size. */
    diskPerJsonByte: 0.8,
    /** One replica in production (the generated templates say 0, for the one-node local setup). */
    replicas: 1,
    /** Usable disk per data node (2.5 TB NVMe at 80 % watermark). */
    usableDiskPerNode: 2e12,
    /** Assumption: indexed documents per second per data node (8 vCPU), replicas included. */
    docsPerSecondPerNode: 25_000,
    /** The alternative shown: raw events kept a week, history in views and the archive. */
    shortRetentionDays: 7,
  },
  parquet: {
    /** Assumption: bytes per event in ZSTD Parquet with large row groups. */
    bytesPerEvent: 60,
    /** Objects written per bus partition per hour before compaction (one cut a minute). */
    cutsPerPartitionPerHour: 60,
    compactedObjectBytes: 256 * 1024 ** 2,
    families: 4,
  },
  /** List prices, us-east-1, USD (check the current price pages before budgeting). */
  prices: {
    kinesisShardHour: 0.015,
    kinesisPutUnitPerMillion: 0.014,
    s3StandardGbMonth: 0.023,
    s3InfrequentTierGbMonth: 0.0125,
    s3PutPer1000: 0.005,
    athenaPerTbScanned: 5,
    dynamoWritePerMillion: 0.625,
    dynamoReadPerMillion: 0.125,
    retentionDays: 395,
  },
} as const;

/** Retention and shard size as the contract's ILM policy sets them (delete after, rollover at). */
export function ilmSettings(): { retentionDays: number; shardBytes: number } {
  const phases = (ilmPolicy() as { policy: { phases: Record<string, Record<string, unknown>> } }).policy.phases;
  const minAge = String(phases.delete?.min_age);
  const rollover = (phases.hot?.actions as { rollover?: { max_primary_shard_size?: string } } | undefined)?.rollover;
  const size = String(rollover?.max_primary_shard_size);
  const days = /^(\d+)d$/.exec(minAge);
  const gb = /^(\d+)gb$/.exec(size);
  if (!days || !gb) throw new Error(`unexpected ILM policy: delete after ${minAge}, rollover at ${size}`);
  return { retentionDays: Number(days[1]), shardBytes: Number(gb[1]) * 1024 ** 3 };
}

const ceil = Math.ceil;
const roundUp = (n: number, multiple: number) => ceil(n / multiple) * multiple;
const HOURS_PER_MONTH = 730;

/** Mean JSON size of the contract's example playback events, in bytes. */
export function playbackEventBytes(): number {
  const sizes = exampleEvents()
    .filter((e) => (e as { event_type: string }).event_type.startsWith("playback."))
    .map((e) => Buffer.byteLength(JSON.stringify(e)));
  return Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length);
}

export type Capacity = ReturnType<typeof capacity>;

/** Every number of docs/capacity.md, from INPUTS and the contract. */
export function capacity(i = INPUTS) {
  const playbackPerSecond = i.concurrentViewers / i.secondsBetweenEvents;
  const eventsPerSecond = Math.round(playbackPerSecond * (1 + i.otherFamiliesShare));
  const eventBytes = playbackEventBytes();
  const wireBytesPerSecond = eventsPerSecond * (eventBytes + i.overheadBytesPerMessage);
  const playbackBytesPerSecond = playbackPerSecond * (eventBytes + i.overheadBytesPerMessage);

  const instances = Object.fromEntries(
    Object.entries(i.eventsPerSecondPerInstance).map(([name, rate]) => [name, ceil(playbackPerSecond / rate)]),
  );
  const mostInstances = Math.max(...Object.values(instances));

  const kafkaByBytes = ceil((playbackBytesPerSecond * i.kafka.compressionRatio) / i.kafka.bytesPerPartitionPerSecond);
  const kafkaPartitions = roundUp(Math.max(kafkaByBytes, mostInstances * i.kafka.consumerHeadroom), i.kafka.brokers);
  const kafkaDiskBytes =
    wireBytesPerSecond * i.kafka.compressionRatio * 3600 * i.kafka.retentionHours * i.kafka.replicationFactor;

  const recordsPerSecond = playbackPerSecond / i.kinesis.eventsPerRecord;
  const shardsByRecords = ceil(recordsPerSecond / i.kinesis.recordsInPerShard);
  const shardsByBytesIn = ceil(playbackBytesPerSecond / i.kinesis.bytesInPerShard);
  const shardsByBytesOut = ceil((playbackBytesPerSecond * i.playbackConsumerGroups) / i.kinesis.bytesOutPerShard);
  const kinesisShards = Math.max(shardsByRecords, shardsByBytesIn, shardsByBytesOut, mostInstances);

  // Lease traffic on reeltime.playback's shards (the other streams have a few shards each).
  // Writes: each group's lease of each shard is renewed every leaseMs / 3 and checkpointed;
  // 1 WRU per PutItem (rows < 1 KB). Reads: every instance Queries its group's rows (strongly
  // consistent: 1 RRU per 4 KB) every leaseMs / 3.
  const ls = i.leases;
  const tickSeconds = ls.leaseMs / 3 / 1000;
  const workers = Object.values(instances).reduce((a, b) => a + b, 0);
  const leaseWritesPerSecond =
    kinesisShards * i.playbackConsumerGroups * (1 / tickSeconds + ls.checkpointsPerShardPerSecond);
  const leaseReadUnitsPerSecond = (workers * ceil((kinesisShards * ls.rowBytes) / 4096)) / tickSeconds;
  const leases = {
    rows: kinesisShards * i.playbackConsumerGroups,
    workers,
    writesPerSecond: leaseWritesPerSecond,
    readUnitsPerSecond: leaseReadUnitsPerSecond,
    tableKB: (kinesisShards * i.playbackConsumerGroups * ls.rowBytes) / 1000,
  };

  const sz = i.sessionizer;
  const viewsHeld = i.concurrentViewers * (1 + sz.graceMinutes / sz.meanViewMinutes);
  const sessionizerBytes = viewsHeld * sz.bytesPerOpenView;
  const sessionizer = {
    viewsHeld,
    stateGB: sessionizerBytes / 1e9,
    perInstanceMB: sessionizerBytes / (instances.sessionizer ?? 1) / 1e6,
    newViewsPerSecond: i.concurrentViewers / (sz.meanViewMinutes * 60),
  };

  const es = { ...i.elasticsearch, ...ilmSettings() };
  const eventsPerDay = eventsPerSecond * 86_400;
  const esPrimaryBytesPerDay = eventsPerDay * eventBytes * es.diskPerJsonByte;
  const esStoredBytesPerDay = esPrimaryBytesPerDay * (1 + es.replicas);
  const esPrimaryShardsPerDay = ceil(esPrimaryBytesPerDay / es.shardBytes);
  const esHotBytes = esStoredBytesPerDay * es.retentionDays;
  const esNodesByDisk = ceil(esHotBytes / es.usableDiskPerNode);
  const esNodesByRate = ceil((eventsPerSecond * (1 + es.replicas)) / es.docsPerSecondPerNode);
  const esNodes = Math.max(esNodesByDisk, esNodesByRate, 3);
  const esNodesShortRetention = Math.max(
    ceil((esStoredBytesPerDay * es.shortRetentionDays) / es.usableDiskPerNode),
    esNodesByRate,
    3,
  );

  const pq = i.parquet;
  const s3BytesPerHour = eventsPerSecond * 3600 * pq.bytesPerEvent;
  const s3ObjectsPerHourRaw = kafkaPartitions * pq.cutsPerPartitionPerHour + 3 * pq.families;
  const s3ObjectsPerHourCompacted = Math.max(ceil(s3BytesPerHour / pq.compactedObjectBytes), pq.families) + 3;

  const p = i.prices;
  const monthBytes = s3BytesPerHour * HOURS_PER_MONTH;
  const gb = (b: number) => b / 1e9;
  const tb = (b: number) => b / 1e12;
  const retainedMonths = p.retentionDays / 30;
  const s3SteadyStateBytes = monthBytes * retainedMonths;
  const cost = {
    kinesisShards: kinesisShards * p.kinesisShardHour * HOURS_PER_MONTH,
    kinesisPuts: ((recordsPerSecond * 3600 * HOURS_PER_MONTH) / 1e6) * p.kinesisPutUnitPerMillion,
    s3Storage: gb(monthBytes) * p.s3StandardGbMonth + gb(s3SteadyStateBytes - monthBytes) * p.s3InfrequentTierGbMonth,
    s3Puts: ((s3ObjectsPerHourRaw * 2 * HOURS_PER_MONTH) / 1000) * p.s3PutPer1000,
    athenaDayOfPlayback: tb(s3BytesPerHour * 24) * p.athenaPerTbScanned,
    dynamoLeases:
      ((leaseWritesPerSecond * 3600 * HOURS_PER_MONTH) / 1e6) * p.dynamoWritePerMillion +
      ((leaseReadUnitsPerSecond * 3600 * HOURS_PER_MONTH) / 1e6) * p.dynamoReadPerMillion,
  };
  return {
    eventsPerSecond,
    playbackPerSecond,
    eventBytes,
    wireMBps: wireBytesPerSecond / 1e6,
    instances,
    kafka: { partitions: kafkaPartitions, byBytes: kafkaByBytes, diskTB: tb(kafkaDiskBytes) },
    sessionizer,
    leases,
    kinesis: {
      shards: kinesisShards,
      byRecords: shardsByRecords,
      byBytesIn: shardsByBytesIn,
      byBytesOut: shardsByBytesOut,
    },
    es: {
      eventsPerDay,
      primaryTBPerDay: tb(esPrimaryBytesPerDay),
      storedTBPerDay: tb(esStoredBytesPerDay),
      primaryShardsPerDay: esPrimaryShardsPerDay,
      retentionDays: es.retentionDays,
      shardGiB: es.shardBytes / 1024 ** 3,
      hotTB: tb(esHotBytes),
      nodes: esNodes,
      nodesByDisk: esNodesByDisk,
      nodesByRate: esNodesByRate,
      nodesShortRetention: esNodesShortRetention,
    },
    s3: {
      GBPerHour: gb(s3BytesPerHour),
      objectsPerHourRaw: s3ObjectsPerHourRaw,
      objectsPerHourCompacted: s3ObjectsPerHourCompacted,
      TBPerMonth: tb(monthBytes),
      steadyStateTB: tb(s3SteadyStateBytes),
    },
    costPerMonth: cost,
  };
}

const n = (v: number, digits = 0) =>
  v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const usd = (v: number) => `$${n(v)}`;

/** The generated block of docs/capacity.md. */
export function renderTables(c: Capacity = capacity(), i = INPUTS): string {
  const rows = (header: string[], body: (string | number)[][]) =>
    [
      `| ${header.join(" | ")} |`,
      `|${header.map(() => "---").join("|")}|`,
      ...body.map((r) => `| ${r.join(" | ")} |`),
    ].join("\n");
  return [
    rows(
      ["load", "value"],
      [
        ["concurrent viewers", n(i.concurrentViewers)],
        ["playback events/s (1 per viewer every 10 s)", n(c.playbackPerSecond)],
        ["all events/s (with clicks, jobs, API records)", n(c.eventsPerSecond)],
        ["mean playback event, JSON bytes (contract examples)", n(c.eventBytes)],
        ["bytes/s on the bus, uncompressed", `${n(c.wireMBps, 1)} MB/s`],
      ],
    ),
    "",
    rows(
      ["bus", "needed", "why"],
      [
        [
          "Kafka partitions of reeltime.playback",
          n(c.kafka.partitions),
          `max(${c.kafka.byBytes} by compressed bytes, ${i.kafka.consumerHeadroom} × ${Math.max(...Object.values(c.instances))} consumer instances), multiple of ${i.kafka.brokers} brokers`,
        ],
        ["Kafka disk, 24 h retention, RF 3", `${n(c.kafka.diskTB, 1)} TB`, "zstd at 25 % of JSON"],
        [
          "Kinesis shards of reeltime.playback",
          n(c.kinesis.shards),
          `max(${c.kinesis.byRecords} by records in, ${c.kinesis.byBytesIn} by bytes in, ${c.kinesis.byBytesOut} by bytes out to ${i.playbackConsumerGroups} consumer groups)`,
        ],
      ],
    ),
    "",
    rows(
      ["Kinesis leases (DynamoDB, on demand)", "value"],
      [
        [
          `lease rows (${n(c.kinesis.shards)} shards × ${i.playbackConsumerGroups} consumer groups)`,
          `${n(c.leases.rows)} (${n(c.leases.tableKB)} KB)`,
        ],
        [
          `writes/s (renewal every ${n(i.leases.leaseMs / 3000, 1)} s + ${i.leases.checkpointsPerShardPerSecond} checkpoint/s per lease)`,
          n(c.leases.writesPerSecond),
        ],
        [
          `read units/s (${n(c.leases.workers)} instances each Query their group's rows every ${n(i.leases.leaseMs / 3000, 1)} s)`,
          n(c.leases.readUnitsPerSecond),
        ],
      ],
    ),
    "",
    rows(
      ["processor", "instances (1 vCPU)", "assumed events/s each"],
      Object.entries(c.instances).map(([name, count]) => [name, n(count), n(i.eventsPerSecondPerInstance[name] ?? 0)]),
    ),
    "",
    rows(
      ["sessionizer state", "value"],
      [
        [
          `views held (open, and finished ones for ${i.sessionizer.graceMinutes} min)`,
          `${n(c.sessionizer.viewsHeld)} (mean view ${i.sessionizer.meanViewMinutes} min)`,
        ],
        ["bytes per open view (measured, bench sessionizer)", n(i.sessionizer.bytesPerOpenView)],
        ["state in memory, all instances", `${n(c.sessionizer.stateGB, 1)} GB`],
        ["state in memory per sessionizer instance", `${n(c.sessionizer.perInstanceMB)} MB`],
        ["views-index GETs per second (one per new view)", n(c.sessionizer.newViewsPerSecond)],
      ],
    ),
    "",
    rows(
      ["Elasticsearch", "value"],
      [
        ["documents per day", n(c.es.eventsPerDay)],
        ["primary data per day", `${n(c.es.primaryTBPerDay, 2)} TB`],
        ["stored per day with 1 replica", `${n(c.es.storedTBPerDay, 2)} TB`],
        [`primary shards per day (rollover at ${c.es.shardGiB} GiB, ILM)`, n(c.es.primaryShardsPerDay)],
        [`data kept for ${c.es.retentionDays} days (ILM delete)`, `${n(c.es.hotTB, 1)} TB`],
        [
          "data nodes",
          `${n(c.es.nodes)} (max of ${c.es.nodesByDisk} by disk, ${c.es.nodesByRate} by indexing rate, 3)`,
        ],
        [
          `data nodes if raw events are deleted after ${i.elasticsearch.shortRetentionDays} days`,
          n(c.es.nodesShortRetention),
        ],
      ],
    ),
    "",
    rows(
      ["S3 archive", "value"],
      [
        ["Parquet bytes per hour", `${n(c.s3.GBPerHour, 1)} GB`],
        ["objects per hour as the archiver cuts them", n(c.s3.objectsPerHourRaw)],
        ["objects per hour after compaction (256 MiB)", n(c.s3.objectsPerHourCompacted)],
        ["new data per month", `${n(c.s3.TBPerMonth, 1)} TB`],
        [`stored at steady state (${i.prices.retentionDays} days)`, `${n(c.s3.steadyStateTB, 1)} TB`],
      ],
    ),
    "",
    rows(
      ["monthly cost driver (list prices)", "USD per month"],
      [
        ["Kinesis shard hours", usd(c.costPerMonth.kinesisShards)],
        ["Kinesis PUT payload units", usd(c.costPerMonth.kinesisPuts)],
        ["S3 storage at steady state", usd(c.costPerMonth.s3Storage)],
        ["S3 PUT requests (cuts + compaction)", usd(c.costPerMonth.s3Puts)],
        ["Athena: one query scanning a full day of playback", usd(c.costPerMonth.athenaDayOfPlayback)],
        ["DynamoDB lease table (on-demand requests)", usd(c.costPerMonth.dynamoLeases)],
      ],
    ),
  ].join("\n");
}

export const BEGIN = "<!-- capacity:begin (generated by infra/deploy/capacity/model.ts; do not edit) -->";
export const END = "<!-- capacity:end -->";

/** Table rows compared cell by cell, so a Markdown formatter's column alignment does not matter. */
export function normalizeTables(text: string): string {
  return text
    .split("\n")
    .map((line) =>
      line.startsWith("|")
        ? line
            .split("|")
            .map((cell) => cell.trim().replace(/^-+$/, "---"))
            .join("|")
        : line.trim(),
    )
    .join("\n");
}

/** The generated block as it stands in a document. */
export function generatedBlock(doc: string): string | undefined {
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  return start < 0 || end < start ? undefined : doc.slice(start + BEGIN.length, end).trim();
}

if (import.meta.main) {
  const docPath = new URL("../../../docs/capacity.md", import.meta.url);
  if (process.argv.includes("--write")) {
    const doc = readFileSync(docPath, "utf8");
    const start = doc.indexOf(BEGIN);
    const end = doc.indexOf(END);
    if (start < 0 || end < start) throw new Error(`docs/capacity.md lacks the ${BEGIN} ... ${END} markers`);
    writeFileSync(docPath, `${doc.slice(0, start + BEGIN.length)}\n${renderTables()}\n${doc.slice(end)}`);
  } else process.stdout.write(`${renderTables()}\n`);
}
