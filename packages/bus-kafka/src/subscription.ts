import { backoffMs, sleep } from "@reeltime/connectors/adapter";
import type {
  ConsumedBatch,
  ConsumedMessage,
  ConsumeOptions,
  PartitionLag,
  PartitionRef,
  Position,
  Subscription,
} from "@reeltime/ports";
import type { Admin, Batch, Consumer, EachBatchPayload, IHeaders, Kafka } from "kafkajs";
import { kafkaError } from "./errors.ts";

function headersOf(raw: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    const v = Array.isArray(value) ? value.at(-1) : value;
    if (v !== undefined) out[name] = v.toString();
  }
  return out;
}

/** Counts rereads in this process: each gives its partition a hold of its own. */
let rereadCount = 0;

const FENCED = new Set(["REBALANCE_IN_PROGRESS", "UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION", "FENCED_INSTANCE_ID"]);

const next = (offset: string) => (BigInt(offset) + 1n).toString();

function toBatch(batch: Batch, messages: Batch["messages"]): ConsumedBatch {
  const partition = String(batch.partition);
  return {
    topic: batch.topic,
    partition,
    messages: messages.map(
      (m): ConsumedMessage => ({
        topic: batch.topic,
        partition,
        offset: m.offset,
        key: m.key?.toString() ?? "",
        value: m.value ?? new Uint8Array(0),
        headers: headersOf(m.headers),
        timestamp: Number(m.timestamp),
      }),
    ),
  };
}

/**
 * A kafkajs consumer in a group with auto-commit off. Each chunk of a fetched batch goes to
 * the handler; only after it resolved is its last offset resolved (and, in after-handler
 * mode, committed), so commits never pass a message that was not processed.
 */
export class KafkaSubscription implements Subscription {
  readonly #consumer: Consumer;
  readonly #options: ConsumeOptions;
  readonly #admin: () => Promise<Admin>;
  readonly #brokers: string;
  #owned: PartitionRef[] = [];
  /** Bumped on every join of the group: a hold on a partition lasts one generation. */
  #joins = 0;
  /** The group generation the coordinator last accepted a heartbeat of, since the last join. */
  #generation: number | undefined;
  /**
   * What this instance owned, and in which generation, when a rebalance began: until a join
   * replaces it, or a heartbeat of that same generation goes through (the rebalance ended
   * without a new generation) and gives it back.
   */
  #suspended: { joins: number; generation: number; owned: PartitionRef[] } | undefined;
  /** Partitions read again from their commit (reread) since the last join, and the hold each has now. */
  readonly #rereads = new Map<string, number>();
  readonly #committed = new Map<string, bigint>();
  readonly #abort = new AbortController();
  #stopping: Promise<void> | null = null;
  #restarts = 0;
  #restarting = false;
  #crashedAgain = false;

  constructor(kafka: Kafka, options: ConsumeOptions, admin: () => Promise<Admin>, brokers: string) {
    this.#options = options;
    this.#admin = admin;
    this.#brokers = brokers;
    this.#consumer = kafka.consumer({
      groupId: options.group,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
    });
    this.#consumer.on(this.#consumer.events.GROUP_JOIN, (e) => {
      // After any join kafkajs resumes every partition from the group's committed offset, and
      // a member whose session expired rejoins without a REBALANCING event: a new generation
      // is a new hold on every partition, even those that stayed here.
      this.#joins++;
      this.#generation = undefined;
      this.#suspended = undefined;
      this.#committed.clear();
      this.#rereads.clear();
      this.#owned = Object.entries(e.payload.memberAssignment).flatMap(([topic, parts]) =>
        parts.map((p) => ({ topic, partition: String(p) })),
      );
    });
    // From the start of a rebalance until the next join this instance owns nothing: a
    // processor must not write out state for partitions that may be moving elsewhere.
    this.#consumer.on(this.#consumer.events.REBALANCING, () => {
      const generation = this.#generation;
      if (this.#owned.length > 0 && generation !== undefined)
        this.#suspended = { joins: this.#joins, generation, owned: this.#owned };
      this.#owned = [];
    });
    // A rebalance can also end without a join: when the rejoin fails with an error kafkajs does
    // not retry (COORDINATOR_LOAD_IN_PROGRESS while the coordinator moves, seen when a broker
    // is fenced), kafkajs goes on fetching for the generation it had, and no GROUP_JOIN comes.
    // The coordinator answering a heartbeat with no error is its word that the group is stable
    // in that generation with this member in it: the partitions are still this instance's.
    // (Had another generation formed, the heartbeat would fail with ILLEGAL_GENERATION or
    // UNKNOWN_MEMBER_ID and kafkajs would rejoin.) Without this, every batch kafkajs delivers
    // is refused as stale, forever.
    this.#consumer.on(this.#consumer.events.HEARTBEAT, (e) => {
      const generation = e.payload.groupGenerationId;
      this.#generation = generation;
      const s = this.#suspended;
      if (s === undefined || s.joins !== this.#joins || s.generation !== generation) return;
      this.#suspended = undefined;
      this.#owned = s.owned;
    });
    this.#consumer.on(this.#consumer.events.STOP, () => {
      this.#suspended = undefined;
      this.#owned = [];
    });
    // kafkajs restarts a crashed consumer only when the error was retriable; after any other
    // (an unexpected answer while the coordinator moves, a request the broker refused once) it
    // disconnects and stays down, and the process would go on looking healthy with nothing
    // consumed. Such a consumer is started again here, after a growing backoff, for as long as
    // the subscription is not stopped; kafkajs has logged the crash itself.
    this.#consumer.on(this.#consumer.events.CRASH, (e) => {
      if (e.payload.restart || this.#abort.signal.aborted) return;
      void this.#restart();
    });
  }

  async #restart(): Promise<void> {
    // One restart at a time: a crash while the consumer starts again makes that loop go round once more.
    if (this.#restarting) {
      this.#crashedAgain = true;
      return;
    }
    this.#restarting = true;
    try {
      do {
        await this.#startAgain();
      } while (this.#crashedAgain && !this.#abort.signal.aborted);
    } finally {
      this.#restarting = false;
    }
  }

  async #startAgain(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await sleep(backoffMs(attempt, 500, 30_000), this.#abort.signal);
      if (this.#abort.signal.aborted) return;
      try {
        // A crash from here on is one of the consumer this attempt starts.
        this.#crashedAgain = false;
        await this.start();
        this.#restarts++;
        // stop() came while the consumer was starting again: its disconnect may have run first.
        if (this.#abort.signal.aborted) await this.#consumer.disconnect().catch(() => {});
        return;
      } catch {
        // start() has disconnected again; the next attempt waits longer
      }
    }
  }

  /** How many times this subscription started its consumer again after a crash kafkajs gave up on. */
  get restarts(): number {
    return this.#restarts;
  }

  async start(): Promise<void> {
    try {
      await this.#consumer.connect();
      await this.#consumer.subscribe({ topics: this.#options.topics, fromBeginning: this.#options.start !== "latest" });
      await this.#consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.#eachBatch(payload),
      });
    } catch (e) {
      await this.#consumer.disconnect().catch(() => {});
      throw kafkaError(e, this.#brokers, `join consumer group ${this.#options.group}`);
    }
  }

  async #eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const max = this.#options.maxBatchSize ?? 500;
    const generation = this.#joins;
    const hold = this.hold(batch.topic, String(batch.partition));
    for (let i = 0; i < batch.messages.length; i += max) {
      const chunk = batch.messages.slice(i, i + max);
      const consumed = toBatch(batch, chunk);
      for (let failures = 0; ; ) {
        // A batch fetched in an earlier generation is dropped: the new one re-reads from the commit.
        if (!isRunning() || isStale() || this.#abort.signal.aborted || this.#joins !== generation) return;
        if (this.hold(batch.topic, String(batch.partition)) !== hold) return;
        // A long handler (a transcode) keeps the member's session alive: without heartbeats the
        // coordinator would drop it after sessionTimeout and hand its partitions to another.
        const beat = setInterval(() => heartbeat().catch(() => undefined), 1000);
        try {
          await this.#options.handler(consumed);
          break;
        } catch (e) {
          failures++;
          try {
            this.#options.onError?.(e, consumed);
          } catch {
            // a failing error callback must not stop the partition
          }
          await sleep(50 + backoffMs(failures, 100, 5000), this.#abort.signal);
          await heartbeat();
        } finally {
          clearInterval(beat);
        }
      }
      const last = (chunk.at(-1) as Batch["messages"][number]).offset;
      resolveOffset(last);
      if (this.#options.commit !== "manual") {
        await this.#consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next(last) }]);
      }
      await heartbeat();
    }
  }

  async commit(positions: Position[]): Promise<void> {
    const forward = positions.filter((p) => {
      const k = `${p.topic}/${p.partition}`;
      const at = BigInt(p.offset) + 1n;
      if ((this.#committed.get(k) ?? -1n) >= at) return false;
      this.#committed.set(k, at);
      return true;
    });
    if (forward.length === 0) return;
    const joins = this.#joins;
    try {
      await this.#consumer.commitOffsets(
        forward.map((p) => ({ topic: p.topic, partition: Number(p.partition), offset: next(p.offset) })),
      );
    } catch (e) {
      for (const p of forward) this.#committed.delete(`${p.topic}/${p.partition}`);
      // The coordinator fenced this member: until it rejoins it holds nothing. An answer to a
      // commit sent before the latest join says nothing of what that join assigned.
      if (FENCED.has((e as { type?: string }).type ?? "") && this.#joins === joins) {
        this.#suspended = undefined;
        this.#owned = [];
      }
      throw kafkaError(e, this.#brokers, "commit offsets");
    }
  }

  assignments(): PartitionRef[] {
    return [...this.#owned];
  }

  hold(topic: string, partition: string): number | undefined {
    if (!this.#owned.some((p) => p.topic === topic && p.partition === partition)) return undefined;
    return this.#rereads.get(`${topic}/${partition}`) ?? this.#joins;
  }

  /** Seeks the partition back to the group's committed offset; the batch in hand is dropped. */
  async reread(topic: string, partition: string): Promise<void> {
    if (this.hold(topic, partition) === undefined) return;
    const admin = await this.#admin();
    const [committed] = await admin.fetchOffsets({ groupId: this.#options.group, topics: [topic] });
    const at = committed?.partitions.find((p) => p.partition === Number(partition))?.offset ?? "-1";
    let offset = at;
    if (BigInt(at) < 0n) {
      // Nothing committed yet: where the group starts (its `start` option).
      const ends = (await admin.fetchTopicOffsets(topic)).find((p) => p.partition === Number(partition));
      offset = (this.#options.start === "latest" ? ends?.high : ends?.low) ?? "0";
    }
    // Holds after a reread are negative and fall every time, so they never equal a generation.
    this.#rereads.set(`${topic}/${partition}`, -++rereadCount);
    this.#committed.delete(`${topic}/${partition}`);
    this.#consumer.seek({ topic, partition: Number(partition), offset });
  }

  /** Per partition of the subscribed topics: the end of the log minus the group's committed offset. */
  async lag(): Promise<PartitionLag[]> {
    try {
      const admin = await this.#admin();
      const committed = await admin.fetchOffsets({ groupId: this.#options.group, topics: this.#options.topics });
      const out: PartitionLag[] = [];
      for (const topic of this.#options.topics) {
        const ends = await admin.fetchTopicOffsets(topic);
        const group = committed.find((c) => c.topic === topic)?.partitions ?? [];
        for (const end of ends) {
          const c = group.find((p) => p.partition === end.partition)?.offset ?? "-1";
          const from = BigInt(c) >= 0n ? BigInt(c) : BigInt(end.low);
          out.push({ topic, partition: String(end.partition), lag: Math.max(0, Number(BigInt(end.high) - from)) });
        }
      }
      return out;
    } catch (e) {
      throw kafkaError(e, this.#brokers, "report consumer lag");
    }
  }

  /** Waits for the batch in hand, then leaves the group. Do not await it from inside the handler. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#abort.abort();
      await this.#consumer.disconnect().catch(() => {});
      this.#owned = [];
    })();
    return this.#stopping;
  }
}
