import type { Bus, ConsumedBatch, Subscription } from "@reeltime/connectors";
import { Counter, type Logger, type Registry } from "@reeltime/runtime";
import { WORKER_ERRORS } from "../errors.ts";
import type { ChunkRunner, UnitOutcome } from "./runner.ts";
import { CHUNK_GROUP, CHUNK_TOPIC, type ChunkRequest, decodeChunkRequest, encodeChunkRequest } from "./units.ts";

export interface ChunkWorkerOptions {
  group?: string;
  topic?: string;
  /**
   * Units this worker encodes at once (default 1): one member of the group per slot, each taking
   * its partitions' units one at a time. The pipeline's limiter still bounds ffmpeg processes.
   */
  slots?: number;
  log?: Logger;
  registry?: Registry;
  /** Hears how each unit handed to this worker ended. */
  onUnit?: (request: ChunkRequest, outcome: UnitOutcome) => void;
}

/** Publishes chunk work units; resolves once the bus acknowledged them. */
export async function publishChunkRequests(
  bus: Bus,
  requests: readonly ChunkRequest[],
  topic: string = CHUNK_TOPIC,
): Promise<void> {
  if (requests.length === 0) return;
  await bus.publish(
    topic,
    requests.map((r) => ({
      key: r.unit_id,
      value: encodeChunkRequest(r),
      headers: { "content-type": "application/json" },
    })),
  );
}

/**
 * A chunk encoder: a member (one per slot) of the consumer group on {@link CHUNK_TOPIC}. Every
 * pipeline worker runs one beside its transcode consumer, so the chunks of a long source are
 * spread over the whole group while the worker that split it waits for them. Units go through
 * a {@link ChunkRunner}: claimed, encoded, recorded; the bus position is committed after.
 */
export class ChunkWorker {
  readonly #bus: Bus;
  readonly #runner: ChunkRunner;
  readonly #o: ChunkWorkerOptions;
  readonly #subs: Subscription[] = [];
  readonly units: Counter;

  constructor(deps: { bus: Bus; runner: ChunkRunner }, options: ChunkWorkerOptions = {}) {
    this.#bus = deps.bus;
    this.#runner = deps.runner;
    this.#o = options;
    this.units = new Counter({
      name: "reeltime_pipeline_chunks_total",
      help: "Chunk work units this worker ended (completed, failed), skipped (done elsewhere, job gave up, bad message) or stopped (lost: another worker took its claim over)",
      labelNames: ["status"],
      registers: options.registry ? [options.registry] : [],
    });
  }

  async start(): Promise<void> {
    for (let i = 0; i < Math.max(1, this.#o.slots ?? 1); i++)
      this.#subs.push(
        await this.#bus.consume({
          group: this.#o.group ?? CHUNK_GROUP,
          topics: [this.#o.topic ?? CHUNK_TOPIC],
          maxBatchSize: 1,
          handler: (batch) => this.#handle(batch),
          onError: (err) => {
            const e = err as { code?: string; message?: string };
            this.#o.log?.[e.code === WORKER_ERRORS.claimHeld ? "debug" : "warn"](
              { code: e.code, worker: this.#runner.workerId },
              String(e.message),
            );
          },
        }),
      );
  }

  /** Lets the running units finish, commits them and leaves the group. */
  async stop(): Promise<void> {
    await Promise.all(this.#subs.splice(0).map((s) => s.stop()));
  }

  async #handle(batch: ConsumedBatch): Promise<void> {
    for (const message of batch.messages) {
      let request: ChunkRequest;
      try {
        request = decodeChunkRequest(message);
      } catch (err) {
        this.units.inc({ status: "bad_request" });
        this.#o.log?.error({ code: (err as { code?: string }).code }, (err as Error).message);
        continue;
      }
      const outcome = await this.#runner.run(request);
      this.units.inc({ status: outcome });
      this.#o.onUnit?.(request, outcome);
    }
  }
}
