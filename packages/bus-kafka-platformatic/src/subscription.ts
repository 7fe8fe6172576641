import {
  Consumer,
  type ConsumerGroupJoinPayload,
  ListOffsetTimestamps,
  type Message,
  type MessagesStream,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  stringDeserializer,
} from "@platformatic/kafka";
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
import { clientOptions, type PlatformaticKafkaEnv } from "./client.ts";
import { kafkaError, needsRejoin } from "./errors.ts";

type In = Message<string, Buffer, string, string>;

/** Messages taken from the stream's buffer per round (each partition's share is cut into maxBatchSize batches). */
const TAKE = 5000;

/** Counts rereads in this process: each gives its partition a hold of its own. */
let rereadCount = 0;

const keyOf = (topic: string, partition: string | number) => `${topic}:${partition}`;

function toBatch(topic: string, partition: string, messages: In[]): ConsumedBatch {
  return {
    topic,
    partition,
    messages: messages.map(
      (m): ConsumedMessage => ({
        topic,
        partition,
        offset: m.offset.toString(),
        key: m.key ?? "",
        value: m.value ?? new Uint8Array(0),
        headers: Object.fromEntries(m.headers),
        timestamp: Number(m.timestamp),
      }),
    ),
  };
}

/**
 * A @platformatic/kafka consumer in a group (classic protocol, eager round-robin assignment),
 * offsets committed only by this class: after a batch's handler resolved (`after-handler`) or
 * when `commit` is called (`manual`), never past a message that was not handled.
 *
 * The library hands out messages as a stream across partitions; this class takes what is
 * buffered, keeps each partition's messages in order and hands them over one batch at a time.
 * A hold (Subscription.hold) lasts one join of the group, or until a reread. At the start of
 * every hold each partition gets a barrier, the position its group committed (else where the
 * group starts): until a message at exactly that offset arrives, whatever the stream delivers
 * for the partition is dropped and the stream is sent back to the barrier. So a fetch that was
 * in flight across a rebalance or a reread can neither skip nor repeat anything. (It assumes
 * offsets without gaps at a barrier: no transaction markers or compaction on reeltime's topics.)
 */
export class PlatformaticSubscription implements Subscription {
  readonly #options: ConsumeOptions;
  readonly #brokers: string;
  readonly #consumer: Consumer<string, Buffer, string, string>;
  #stream: MessagesStream<string, Buffer, string, string> | undefined;
  #owned: PartitionRef[] = [];
  /** The group generation the current assignment belongs to; messages fetched in another are stale. */
  #generation: number | undefined;
  /** Bumped on every join: a hold on a partition lasts one join. */
  #joins = 0;
  /** Partitions read again from their commit (reread) since the last join, and the hold each has now. */
  readonly #rereads = new Map<string, number>();
  /** Per partition, the offset the hold's first message must have (see the class comment). */
  readonly #barriers = new Map<string, bigint>();
  /** Barriers of the current join are being looked up: everything is dropped meanwhile. */
  #barriersPending = false;
  /** The next offset per partition under its hold (a stale duplicate below it is dropped). */
  readonly #next = new Map<string, bigint>();
  readonly #committed = new Map<string, bigint>();
  readonly #abort = new AbortController();
  #wake: (() => void) | undefined;
  #running: Promise<void> | undefined;
  #stopping: Promise<void> | null = null;

  constructor(env: PlatformaticKafkaEnv, options: ConsumeOptions) {
    this.#options = options;
    this.#brokers = env.REELTIME_KAFKA_BROKERS;
    this.#consumer = new Consumer<string, Buffer, string, string>({
      ...clientOptions(env, "consumer"),
      groupId: options.group,
      autocommit: false,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTime: 250,
      deserializers: { key: stringDeserializer, headerKey: stringDeserializer, headerValue: stringDeserializer },
    });
    this.#consumer.on("consumer:group:join", (e) => this.#joined(e));
    // From a rebalance until the next join this instance owns nothing: a processor must not write
    // out state for partitions that may be moving elsewhere.
    this.#consumer.on("consumer:group:rebalance", () => {
      this.#owned = [];
    });
    // The coordinator fenced this member (unknown member, old generation): the library rejoins.
    this.#consumer.on("consumer:heartbeat:error", (e) => {
      if (needsRejoin(e.error)) this.#owned = [];
    });
    this.#consumer.on("consumer:group:leave", () => {
      this.#owned = [];
    });
  }

  #joined(e: ConsumerGroupJoinPayload): void {
    this.#joins++;
    this.#generation = e.generationId ?? this.#consumer.generationId;
    this.#committed.clear();
    this.#rereads.clear();
    this.#next.clear();
    this.#barriers.clear();
    this.#owned = (e.assignments ?? this.#consumer.assignments ?? []).flatMap((a) =>
      a.partitions.map((p) => ({ topic: a.topic, partition: String(p) })),
    );
    this.#barriersPending = true;
    void this.#loadBarriers(this.#joins);
    this.#wake?.();
  }

  /** Where each owned partition's hold starts: its commit, else where the group starts; retried until known. */
  async #loadBarriers(joins: number): Promise<void> {
    for (let attempt = 0; joins === this.#joins && !this.#abort.signal.aborted; attempt++) {
      try {
        const starts = await this.#startPositions(this.#owned);
        if (joins !== this.#joins) return;
        for (const [k, offset] of starts) this.#setBarrier(k, offset);
        this.#barriersPending = false;
        this.#wake?.();
        return;
      } catch {
        await sleep(backoffMs(attempt, 100, 2000), this.#abort.signal);
      }
    }
  }

  /** The committed position of each partition, or where the group starts when nothing was committed. */
  async #startPositions(parts: PartitionRef[]): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    if (parts.length === 0) return out;
    const byTopic = new Map<string, number[]>();
    for (const p of parts) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), Number(p.partition)]);
    const topics = [...byTopic.keys()];
    const committed = await this.#consumer.listCommittedOffsets({
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    });
    const earliest = await this.#consumer.listOffsets({ topics, timestamp: ListOffsetTimestamps.EARLIEST });
    const latest = await this.#consumer.listOffsets({ topics, timestamp: ListOffsetTimestamps.LATEST });
    for (const [topic, partitions] of byTopic)
      for (const p of partitions) {
        const low = earliest.get(topic)?.[p] ?? 0n;
        const high = latest.get(topic)?.[p] ?? low;
        const c = committed.get(topic)?.[p] ?? -1n;
        const start = c >= 0n ? (c < low ? low : c) : this.#options.start === "latest" ? high : low;
        out.set(keyOf(topic, p), start);
      }
    return out;
  }

  /** Makes `offset` the partition's barrier and sends the stream back there. */
  #setBarrier(k: string, offset: bigint): void {
    this.#barriers.set(k, offset);
    this.#next.set(k, offset);
    this.#stream?.offsetsToFetch.set(k, offset);
  }

  async start(): Promise<void> {
    try {
      await this.#open();
    } catch (e) {
      await this.#consumer.close(true).catch(() => {});
      throw kafkaError(e, this.#brokers, `join consumer group ${this.#options.group}`);
    }
    this.#running = this.#run();
  }

  async #open(): Promise<void> {
    const stream = await this.#consumer.consume({
      topics: this.#options.topics,
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode:
        this.#options.start === "latest" ? MessagesStreamFallbackModes.LATEST : MessagesStreamFallbackModes.EARLIEST,
      autocommit: false,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTime: 250,
    });
    const wake = () => this.#wake?.();
    stream.on("readable", wake);
    stream.on("end", wake);
    stream.on("close", wake);
    stream.on("error", wake);
    this.#stream = stream;
    // Barriers found before the stream existed send it there now.
    for (const [k, offset] of this.#barriers) stream.offsetsToFetch.set(k, offset);
  }

  /** Takes what the stream buffered and hands it over; reopens the stream when it ends unasked. */
  async #run(): Promise<void> {
    for (let failures = 0; !this.#abort.signal.aborted; ) {
      const stream = this.#stream;
      if (!stream || stream.destroyed || stream.readableEnded) {
        // The library tears a stream down when a commit needs a rejoin or a fetch fails for good.
        await sleep(backoffMs(failures++, 200, 5000), this.#abort.signal);
        if (this.#abort.signal.aborted) return;
        try {
          await stream?.close().catch(() => undefined);
          await this.#open();
          failures = 0;
        } catch {
          // tried again after the backoff
        }
        continue;
      }
      const got: In[] = [];
      while (got.length < TAKE) {
        const m = stream.read() as In | null;
        if (m === null) break;
        got.push(m);
      }
      if (got.length === 0) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          this.#abort.signal.addEventListener("abort", () => resolve(), { once: true });
        });
        this.#wake = undefined;
        continue;
      }
      await this.#deliver(got);
    }
  }

  /** Whether a message belongs to the current hold of its partition, in order (see the class comment). */
  #accept(m: In): boolean {
    const generation = (m.metadata.consumer as { generationId?: number } | undefined)?.generationId;
    if (this.#barriersPending || generation !== this.#generation) return false;
    if (this.hold(m.topic, String(m.partition)) === undefined) return false;
    const k = keyOf(m.topic, m.partition);
    const barrier = this.#barriers.get(k);
    if (barrier !== undefined) {
      if (m.offset !== barrier) {
        // Fetched before the hold began: the stream goes back to the barrier.
        this.#stream?.offsetsToFetch.set(k, barrier);
        return false;
      }
      this.#barriers.delete(k);
    } else if (m.offset < (this.#next.get(k) ?? 0n)) return false;
    this.#next.set(k, m.offset + 1n);
    return true;
  }

  async #deliver(got: In[]): Promise<void> {
    const byPartition = new Map<string, { topic: string; partition: string; hold: number; messages: In[] }>();
    for (const m of got) {
      if (!this.#accept(m)) continue;
      const k = keyOf(m.topic, m.partition);
      let group = byPartition.get(k);
      if (!group) {
        const partition = String(m.partition);
        group = { topic: m.topic, partition, hold: this.hold(m.topic, partition) as number, messages: [] };
        byPartition.set(k, group);
      }
      group.messages.push(m);
    }
    const max = this.#options.maxBatchSize ?? 500;
    for (const g of byPartition.values())
      for (let i = 0; i < g.messages.length; i += max) {
        if (!(await this.#handle(g.topic, g.partition, g.hold, g.messages.slice(i, i + max)))) break;
      }
  }

  /** Hands one batch over until its handler resolves; false when the hold ended meanwhile (the rest is dropped). */
  async #handle(topic: string, partition: string, hold: number, messages: In[]): Promise<boolean> {
    const batch = toBatch(topic, partition, messages);
    for (let failures = 0; ; ) {
      if (this.#abort.signal.aborted || this.hold(topic, partition) !== hold) return false;
      try {
        await this.#options.handler(batch);
        break;
      } catch (e) {
        failures++;
        try {
          this.#options.onError?.(e, batch);
        } catch {
          // a failing error callback must not stop the partition
        }
        await sleep(50 + backoffMs(failures, 100, 5000), this.#abort.signal);
      }
    }
    if (this.#options.commit !== "manual" && this.hold(topic, partition) === hold)
      await this.commit([{ topic, partition, offset: (messages.at(-1) as In).offset.toString() }]).catch(() => {
        // Not committed: the messages come again after a restart or the next hold; nothing is lost.
      });
    return true;
  }

  async commit(positions: Position[]): Promise<void> {
    const forward = positions.filter((p) => {
      const k = keyOf(p.topic, p.partition);
      const at = BigInt(p.offset) + 1n;
      if ((this.#committed.get(k) ?? -1n) >= at) return false;
      this.#committed.set(k, at);
      return true;
    });
    if (forward.length === 0) return;
    const joins = this.#joins;
    try {
      await this.#consumer.commit({
        offsets: forward.map((p) => ({
          topic: p.topic,
          partition: Number(p.partition),
          offset: BigInt(p.offset) + 1n,
          leaderEpoch: -1,
        })),
      });
    } catch (e) {
      for (const p of forward) this.#committed.delete(keyOf(p.topic, p.partition));
      // The coordinator fenced this member: until it rejoins it holds nothing.
      if (needsRejoin(e) && this.#joins === joins) this.#owned = [];
      throw kafkaError(e, this.#brokers, "commit offsets");
    }
  }

  assignments(): PartitionRef[] {
    return [...this.#owned];
  }

  hold(topic: string, partition: string): number | undefined {
    if (!this.#owned.some((p) => p.topic === topic && p.partition === partition)) return undefined;
    return this.#rereads.get(keyOf(topic, partition)) ?? this.#joins;
  }

  /** Sends the partition back to the group's committed offset under a new hold; batches in hand are dropped. */
  async reread(topic: string, partition: string): Promise<void> {
    if (this.hold(topic, partition) === undefined) return;
    const joins = this.#joins;
    const [start] = (await this.#startPositions([{ topic, partition }])).values();
    if (joins !== this.#joins || start === undefined) return;
    // Holds after a reread are negative and fall every time, so they never equal a join count.
    this.#rereads.set(keyOf(topic, partition), -++rereadCount);
    this.#committed.delete(keyOf(topic, partition));
    this.#setBarrier(keyOf(topic, partition), start);
  }

  /** Per partition of the subscribed topics: the end of the log minus the group's committed offset. */
  async lag(): Promise<PartitionLag[]> {
    try {
      const meta = await this.#consumer.metadata({ topics: this.#options.topics });
      const topics = this.#options.topics.map((topic) => ({
        topic,
        partitions: Array.from({ length: meta.topics.get(topic)?.partitionsCount ?? 0 }, (_, i) => i),
      }));
      const committed = await this.#consumer.listCommittedOffsets({ topics });
      const earliest = await this.#consumer.listOffsets({
        topics: this.#options.topics,
        timestamp: ListOffsetTimestamps.EARLIEST,
      });
      const latest = await this.#consumer.listOffsets({
        topics: this.#options.topics,
        timestamp: ListOffsetTimestamps.LATEST,
      });
      const out: PartitionLag[] = [];
      for (const { topic, partitions } of topics)
        for (const p of partitions) {
          const c = committed.get(topic)?.[p] ?? -1n;
          const low = earliest.get(topic)?.[p] ?? 0n;
          const high = latest.get(topic)?.[p] ?? low;
          const from = c >= 0n ? c : low;
          out.push({ topic, partition: String(p), lag: Math.max(0, Number(high - from)) });
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
      this.#wake?.();
      await this.#running?.catch(() => undefined);
      await this.#stream?.close().catch(() => {});
      await this.#consumer.close(true).catch(() => {});
      this.#owned = [];
    })();
    return this.#stopping;
  }
}
