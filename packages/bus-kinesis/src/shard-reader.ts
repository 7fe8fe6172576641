import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from "@aws-sdk/client-kinesis";
import { backoffMs, sleep } from "@reeltime/connectors/adapter";
import type { ConsumedBatch, ConsumedMessage, ConsumeOptions } from "@reeltime/ports";
import { unpack } from "./framing.ts";
import { compareOffsets, formatOffset, isAfter, type KinesisOffset, parseOffset } from "./offsets.ts";

/** The service allows 5 GetRecords calls per second per shard. */
const MIN_READ_INTERVAL_MS = 200;

export interface ShardReaderContext {
  client: KinesisClient;
  stream: string;
  shard: string;
  options: ConsumeOptions;
  pollMs: number;
  /** The lease's checkpoint when this instance took it. */
  startAfter: string | null;
  /** Writes a checkpoint; false when the lease was lost meanwhile. */
  checkpoint(offset: string): Promise<boolean>;
  /** The shard is closed and everything in it committed. */
  finished(): Promise<void>;
}

/**
 * Reads one leased shard: GetRecords from the checkpoint, unpacks records, hands batches to
 * the handler (again after a backoff if it rejects) and, in after-handler mode, checkpoints
 * each batch before reading on.
 */
export class ShardReader {
  readonly #ctx: ShardReaderContext;
  readonly #abort = new AbortController();
  #loop: Promise<void> = Promise.resolve();
  /** Delivered but not yet committed (manual mode), for lag. */
  #pending: string[] = [];
  #behindMs = 0;
  lost = false;

  constructor(ctx: ShardReaderContext) {
    this.#ctx = ctx;
  }

  start(): void {
    this.#loop = this.#run();
  }

  /** Stops after the batch in hand. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  /** The lease was taken by another instance: stop without touching it again. */
  drop(): void {
    this.lost = true;
    this.#abort.abort();
  }

  committed(offset: string): void {
    this.#pending = this.#pending.filter((o) => isAfter(o, offset));
  }

  lag(): number {
    return this.#pending.length + (this.#behindMs > 0 ? 1 : 0);
  }

  get #running(): boolean {
    return !this.#abort.signal.aborted && !this.lost;
  }

  async #iterator(after: KinesisOffset | null): Promise<string | undefined> {
    const { stream, shard, options } = this.#ctx;
    const res = await this.#ctx.client.send(
      new GetShardIteratorCommand(
        after
          ? {
              StreamName: stream,
              ShardId: shard,
              ShardIteratorType: "AT_SEQUENCE_NUMBER",
              StartingSequenceNumber: after.seq.toString(),
            }
          : {
              StreamName: stream,
              ShardId: shard,
              ShardIteratorType: options.start === "latest" ? "LATEST" : "TRIM_HORIZON",
            },
      ),
      { abortSignal: this.#abort.signal },
    );
    return res.ShardIterator;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let position = parseOffset(this.#ctx.startAfter);
    let iterator: string | undefined;
    let failures = 0;
    while (this.#running) {
      try {
        iterator ??= await this.#iterator(position);
        if (!iterator) break;
        const res = await this.#ctx.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }), {
          abortSignal: signal,
        });
        failures = 0;
        this.#behindMs = res.MillisBehindLatest ?? 0;
        const messages: ConsumedMessage[] = [];
        for (const rec of res.Records ?? []) {
          const seq = rec.SequenceNumber ?? "0";
          for (const [i, u] of unpack(rec.Data ?? new Uint8Array(0), rec.PartitionKey ?? "").entries()) {
            const at = { seq: BigInt(seq), sub: i };
            if (position && compareOffsets(at, position) <= 0) continue;
            messages.push({
              topic: this.#ctx.stream,
              partition: this.#ctx.shard,
              offset: formatOffset(seq, i),
              key: u.key,
              value: u.value,
              headers: u.headers,
              timestamp: rec.ApproximateArrivalTimestamp?.getTime() ?? Date.now(),
            });
          }
        }
        if (messages.length > 0) {
          if (!(await this.#deliver(messages))) return;
          position = parseOffset(messages.at(-1)?.offset);
        }
        iterator = res.NextShardIterator;
        if (!iterator) {
          await this.#closed();
          return;
        }
        const idle = (res.Records ?? []).length === 0 && this.#behindMs === 0;
        await sleep(idle ? this.#ctx.pollMs : MIN_READ_INTERVAL_MS, signal);
      } catch (e) {
        if (!this.#running) return;
        if ((e as Error).name === "ExpiredIteratorException") iterator = undefined;
        failures++;
        await sleep(MIN_READ_INTERVAL_MS + backoffMs(failures, 200, 5000), signal);
      }
    }
  }

  /** False when delivery stopped early (stopping, or the lease was lost). */
  async #deliver(messages: ConsumedMessage[]): Promise<boolean> {
    const { options, stream, shard } = this.#ctx;
    const max = options.maxBatchSize ?? 500;
    for (let i = 0; i < messages.length; i += max) {
      const batch: ConsumedBatch = { topic: stream, partition: shard, messages: messages.slice(i, i + max) };
      // Pending from the moment they are handed over: a handler may commit its own batch before
      // it returns (a keyed fold checkpoints mid-batch), and offsets added after that commit
      // stayed pending for good once no later commit came (lag above 0 after the drain).
      if (options.commit === "manual") this.#pending.push(...batch.messages.map((m) => m.offset));
      for (let failures = 0; ; ) {
        if (!this.#running) return false;
        try {
          await options.handler(batch);
          break;
        } catch (e) {
          failures++;
          try {
            options.onError?.(e, batch);
          } catch {
            // a failing error callback must not stop the shard
          }
          await sleep(50 + backoffMs(failures, 100, 5000), this.#abort.signal);
        }
      }
      const last = batch.messages.at(-1)?.offset as string;
      if (options.commit !== "manual" && !(await this.#checkpointed(last))) return false;
    }
    return true;
  }

  async #checkpointed(offset: string): Promise<boolean> {
    for (let failures = 0; ; failures++) {
      try {
        if (await this.#ctx.checkpoint(offset)) return true;
        this.lost = true;
        return false;
      } catch {
        if (!this.#running) return false;
        await sleep(backoffMs(failures, 100, 2000), this.#abort.signal);
      }
    }
  }

  /** A closed shard is finished once everything read from it was committed. */
  async #closed(): Promise<void> {
    while (this.#running && this.#pending.length > 0) await sleep(MIN_READ_INTERVAL_MS, this.#abort.signal);
    if (this.#running) await this.#ctx.finished();
  }
}
