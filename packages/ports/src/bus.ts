import type { Lifecycle } from "./common.ts";

export interface BusMessage {
  /** Partition key: ordering is guaranteed per key (`view_id`, `job_id`, `app_id`). */
  key: string;
  value: Uint8Array;
  /** Carried end to end: `traceparent`, `tracestate`, `schema_version`, `content-type`... */
  headers?: Record<string, string>;
}

export interface ConsumedMessage {
  topic: string;
  /** Kafka partition number or Kinesis shard id, as a string. */
  partition: string;
  /** Position within the partition: Kafka offset, Kinesis sequence number, log offset. */
  offset: string;
  key: string;
  value: Uint8Array;
  headers: Record<string, string>;
  /** When the bus stored the message (ms since epoch). */
  timestamp: number;
}

/** Messages of one partition, in order. */
export interface ConsumedBatch {
  topic: string;
  partition: string;
  messages: ConsumedMessage[];
}

export type BatchHandler = (batch: ConsumedBatch) => Promise<void>;

export interface ConsumeOptions {
  /** Consumer group: instances in one group split the partitions/shards between them. */
  group: string;
  topics: string[];
  handler: BatchHandler;
  /**
   * `after-handler` (default): a batch's positions are committed once its handler resolved.
   * `manual`: nothing is committed until `Subscription.commit` is called (the archiver
   * commits only after its upload). Either way a crash before the commit redelivers.
   */
  commit?: "after-handler" | "manual";
  /** Upper bound on messages per handler call. */
  maxBatchSize?: number;
  /** Where a group with no committed position starts (default: earliest). */
  start?: "earliest" | "latest";
  /**
   * Called when the handler rejected: nothing of that batch is committed and the same
   * messages are delivered again after a backoff (the partition waits, order is kept).
   */
  onError?: (error: unknown, batch: ConsumedBatch) => void;
}

/** One partition (Kafka) or shard (Kinesis) of a topic. */
export interface PartitionRef {
  topic: string;
  partition: string;
}

export interface Position {
  topic: string;
  partition: string;
  /** The last processed offset, inclusive. */
  offset: string;
}

export interface PartitionLag {
  topic: string;
  partition: string;
  /** Messages (or an estimate for Kinesis) not yet committed by the group. */
  lag: number;
}

export interface Subscription {
  /** Manual mode: commits through these positions (only ever forward). */
  commit(positions: Position[]): Promise<void>;
  /** Partitions/shards this instance currently owns. */
  assignments(): PartitionRef[];
  /**
   * This instance's current hold on a partition: a number that changes every time the
   * partition is (re)assigned here, undefined while it is not owned here. State a processor
   * keeps for a partition is valid only within the hold it was built in: between two holds
   * another instance may have processed and committed that partition.
   */
  hold(topic: string, partition: string): number | undefined;
  /**
   * Delivers a partition owned here again from its last commit, under a new hold: what was
   * delivered and not committed comes again, and batches of the old hold still in flight are
   * stale. For a processor whose state for the partition can no longer be trusted (another
   * instance that had not yet noticed losing the partition wrote over its checkpoint). Nothing
   * happens for a partition not owned here.
   */
  reread(topic: string, partition: string): Promise<void>;
  lag(): Promise<PartitionLag[]>;
  /** Stops fetching, lets the running handler finish, commits what it may, leaves the group. */
  stop(): Promise<void>;
}

/**
 * The message bus (Kafka, Kinesis or the embedded log). At-least-once: `publish` resolves
 * only once the bus acknowledged every message (and rejects otherwise, never half-silently);
 * positions are committed only after processing, and only contiguously.
 */
export interface Bus extends Lifecycle {
  readonly driver: string;
  /**
   * The largest message accepted, in bytes (key + value + header names and values). A
   * publish holding a larger one rejects as a whole with REELTIME_ERR_BUS_MESSAGE_TOO_LARGE
   * (status 413, not retryable) before anything is sent.
   */
  readonly maxMessageBytes: number;
  /** Creates topics/streams that do not exist yet (idempotent). */
  ensureTopics(topics: { name: string; partitions: number }[]): Promise<void>;
  publish(topic: string, messages: BusMessage[]): Promise<void>;
  consume(options: ConsumeOptions): Promise<Subscription>;
}

/**
 * A shard lease with its checkpoint, as kept by a {@link CheckpointStore}. One record per
 * (group, stream, shard): the owner processes the shard until `expiresAt`, renewing it
 * periodically; anyone may take a lease that expired or has no owner.
 */
export interface Lease {
  group: string;
  stream: string;
  shard: string;
  /** The consumer instance holding the lease, or null when released. */
  owner: string | null;
  /** Milliseconds since epoch after which the lease is free to take. */
  expiresAt: number;
  /** The last processed position (inclusive), or null if nothing was processed yet. */
  checkpoint: string | null;
  /** The shard is closed (resharded) and fully processed: its children may start. */
  finished: boolean;
  /** The shards this one was split or merged from (KCL's parentShardIds); they finish first. */
  parents?: string[];
  /** How often the lease changed hands since the checkpoint last moved (KCL's ownerSwitchesSinceCheckpoint). */
  ownerSwitches?: number;
  /** Bumped on every write; conditional writes compare it. */
  version: number;
}

/**
 * Durable checkpoints and leases for consumers that coordinate without a broker (Kinesis).
 * Any store with a conditional write implements it: a file per lease on one machine, a
 * row with a version column, an object written with If-Match.
 */
export interface CheckpointStore {
  list(group: string, stream: string): Promise<Lease[]>;
  /**
   * Writes `next` only if the stored lease still has `expectedVersion` (0: does not exist
   * yet). Resolves to the stored lease (version bumped), or null when someone else wrote first.
   */
  put(next: Omit<Lease, "version">, expectedVersion: number): Promise<Lease | null>;
}
