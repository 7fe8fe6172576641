import type { Bus, ConsumedBatch, ConsumedMessage, IndexResult, SearchStore, StoredEvent } from "@reeltime/connectors";
import { FAMILIES, TOPICS, withoutPrivateFields } from "@reeltime/events";
import type { Committer, Processor, ProcessorMetrics } from "@reeltime/processing";
import {
  classifyFailure,
  deadLetter,
  decode,
  lastPositions,
  publishDeadLetters,
  UNPROCESSABLE,
} from "@reeltime/processing";
import { inSpan, type Logger, producerLinks, SpanKind, tracer } from "@reeltime/runtime";

export interface IndexerOptions {
  /** Flush when this many events are buffered. */
  maxDocs?: number;
  /** Flush when the buffered JSON reaches this many bytes. */
  maxBytes?: number;
  /** Flush events older than this (freshness: /v1/events/last sees them after the next refresh). */
  maxDelayMs?: number;
}

/**
 * Flush sizes: large enough that each `_bulk` request carries ~2 MB (the store splits a flush
 * across its parallel requests), small enough to bound memory; time bounds freshness.
 */
export const INDEXER_DEFAULTS: Required<IndexerOptions> = {
  maxDocs: 5000,
  maxBytes: 8 * 1024 * 1024,
  maxDelayMs: 500,
};

/**
 * Events → Elasticsearch (or the embedded store), batched by count, bytes and time. Idempotent
 * by event_id; documents the store rejects go to the dead-letter stream with its reason; a store
 * that is down makes the flush fail, nothing is committed, and the events come again.
 */
export class Indexer implements Processor {
  readonly name = "indexer";
  readonly group = "reeltime-indexer";
  /** Every event family's topic (the contract's FAMILIES: playback, click, job, api, upload, notification). */
  readonly topics = FAMILIES.map((f) => TOPICS[f]);
  readonly commit = "manual" as const;
  readonly maxBatchSize = 1000;
  readonly tickMs = 200;
  readonly #search: SearchStore;
  readonly #bus: Bus;
  readonly #log: Logger;
  readonly #metrics: ProcessorMetrics;
  readonly #opts: Required<IndexerOptions>;
  #buffer: { message: ConsumedMessage; doc?: StoredEvent; bytes: number }[] = [];
  #bytes = 0;
  #oldest = 0;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    deps: { search: SearchStore; bus: Bus; log: Logger; metrics: ProcessorMetrics },
    opts: IndexerOptions = {},
  ) {
    this.#search = deps.search;
    this.#bus = deps.bus;
    this.#log = deps.log;
    this.#metrics = deps.metrics;
    this.#opts = { ...INDEXER_DEFAULTS, ...opts };
  }

  async handle(batch: ConsumedBatch, commit: Committer): Promise<void> {
    const mark = this.#buffer.length;
    const markBytes = this.#bytes;
    for (const message of batch.messages) {
      const e = decode<StoredEvent>(message);
      // The search copy never holds the contract's private fields (the archive keeps them).
      const doc =
        e && typeof e.event_id === "string" ? withReceivedAt(withoutPrivateFields(e), message.timestamp) : undefined;
      this.#buffer.push({ message, ...(doc ? { doc } : {}), bytes: message.value.byteLength });
      this.#bytes += message.value.byteLength;
    }
    if (mark === 0) this.#oldest = Date.now();
    if (this.#buffer.length >= this.#opts.maxDocs || this.#bytes >= this.#opts.maxBytes) {
      try {
        await this.flush(commit);
      } catch (err) {
        // This batch will be delivered again: forget it so it is not buffered twice.
        this.#buffer.length = Math.min(this.#buffer.length, mark);
        this.#bytes = markBytes;
        throw err;
      }
    }
  }

  async tick(commit: Committer): Promise<void> {
    if (this.#buffer.length > 0 && Date.now() - this.#oldest >= this.#opts.maxDelayMs) await this.flush(commit);
  }

  /** Indexes everything buffered, dead-letters what the store refused, then commits. */
  flush(commit: Committer): Promise<void> {
    this.#flushing = this.#flushing.catch(() => undefined).then(() => this.#flushNow(commit));
    return this.#flushing;
  }

  async #flushNow(commit: Committer): Promise<void> {
    if (this.#buffer.length === 0) return;
    const items = this.#buffer;
    const docs = items.flatMap((i) => (i.doc ? [i.doc] : []));
    const letters = items
      .filter((i) => !i.doc)
      .map((i) => deadLetter("indexer", "not_json", "the message is not a JSON event", i.message, undefined));
    // A child of the batch span when a full buffer flushes in `handle`; from `tick`, a span of its own.
    const { result, unindexable } = await inSpan(
      spans,
      "index events",
      {
        kind: SpanKind.CLIENT,
        links: producerLinks(items.map((i) => i.message)),
        attributes: {
          "db.system.name": this.#search.driver,
          "db.operation.name": "bulk",
          "reeltime.search.documents": docs.length,
        },
      },
      () => indexSplitting(this.#search, docs),
    );
    const bySource = new Map(items.filter((i) => i.doc).map((i) => [i.doc!.event_id, i.message]));
    for (const { doc, err } of unindexable)
      letters.push(
        deadLetter(
          "indexer",
          UNPROCESSABLE,
          `indexer: ${(err as Error).name}: ${(err as Error).message}`,
          bySource.get(doc.event_id) ?? items[0]!.message,
          doc,
        ),
      );
    for (const r of result.rejected)
      letters.push(
        deadLetter("indexer", "rejected_by_store", r.reason, bySource.get(r.event_id) ?? items[0]!.message, r.event),
      );
    await publishDeadLetters(this.#bus, letters);
    for (const l of letters) this.#metrics.deadLetters.inc({ processor: this.name, reason: l.reason });
    await commit(lastPositions(items.map((i) => i.message)));
    this.#buffer = this.#buffer.slice(items.length);
    this.#bytes = this.#buffer.reduce((s, i) => s + i.bytes, 0);
    this.#oldest = Date.now();
    if (result.rejected.length > 0)
      this.#log.warn({ rejected: result.rejected.length }, "documents rejected by the store");
  }
}

const spans = tracer("@reeltime/stream-processors");

/**
 * A flush the store refuses as a whole because of some document's content (a request it cannot
 * take, a value a serialiser cannot write) is split in halves until the documents at fault are
 * alone; they go to dead letters and the rest is indexed. Outages throw: the flush is retried.
 */
async function indexSplitting(
  search: SearchStore,
  docs: StoredEvent[],
): Promise<{ result: IndexResult; unindexable: { doc: StoredEvent; err: unknown }[] }> {
  if (docs.length === 0) return { result: { indexed: 0, duplicates: 0, rejected: [] }, unindexable: [] };
  try {
    return { result: await search.index(docs), unindexable: [] };
  } catch (err) {
    if (classifyFailure(err) !== "content") throw err;
    if (docs.length === 1)
      return { result: { indexed: 0, duplicates: 0, rejected: [] }, unindexable: [{ doc: docs[0]!, err }] };
    const mid = docs.length >> 1;
    const a = await indexSplitting(search, docs.slice(0, mid));
    const b = await indexSplitting(search, docs.slice(mid));
    return {
      result: {
        indexed: a.result.indexed + b.result.indexed,
        duplicates: a.result.duplicates + b.result.duplicates,
        rejected: [...a.result.rejected, ...b.result.rejected],
      },
      unindexable: [...a.unindexable, ...b.unindexable],
    };
  }
}

/** Events published straight to the bus (job events) carry no received_at: the bus time stands in. */
function withReceivedAt(e: StoredEvent, busTimestamp: number): StoredEvent {
  return e.received_at ? e : ({ ...e, received_at: new Date(busTimestamp).toISOString() } as StoredEvent);
}
