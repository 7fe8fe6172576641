import {
  type Archive,
  type Bus,
  type BusMessage,
  type ConsumeOptions,
  checkKey,
  checkPrefix,
  checkSizes,
  type Health,
  MAX_MESSAGE_BYTES,
  type ObjectInfo,
  type PutOptions,
  type Subscription,
} from "@reeltime/connectors";
import type { JobEvent } from "@reeltime/events";
import { ReeltimeError } from "@reeltime/runtime";

/** What a {@link MemoryArchive} keeps: the objects by key. */
export type MemoryObjects = Map<string, { body: Uint8Array; lastModified: Date }>;

/**
 * An in-memory Archive for tests (used when no real archive driver is available). Keys follow
 * the one key grammar of every archive (REELTIME_ERR_ARCHIVE_KEY otherwise). Instances given
 * the same `objects` share them, as processes share a bucket: a new one is a restart.
 */
export class MemoryArchive implements Archive {
  readonly driver = "memory";
  readonly objects: MemoryObjects;
  constructor(objects: MemoryObjects = new Map()) {
    this.objects = objects;
  }
  async start(): Promise<void> {}
  async health(): Promise<Health> {
    return { ok: true, driver: this.driver };
  }
  async shutdown(): Promise<void> {}
  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<boolean> {
    checkKey(key);
    if (options.ifAbsent && this.objects.has(key)) return false;
    this.objects.set(key, { body: new Uint8Array(body), lastModified: new Date() });
    return true;
  }
  async get(key: string): Promise<Uint8Array> {
    const o = this.objects.get(checkKey(key));
    if (!o) throw new ReeltimeError("REELTIME_ERR_NOT_FOUND", `no object at ${key}`);
    return o.body;
  }
  async exists(key: string): Promise<boolean> {
    return this.objects.has(checkKey(key));
  }
  async list(prefix: string): Promise<ObjectInfo[]> {
    checkPrefix(prefix);
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .map(([key, o]) => ({ key, size: o.body.byteLength, lastModified: o.lastModified }))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
  }
  async delete(keys: string[]): Promise<void> {
    for (const k of keys) checkKey(k);
    for (const k of keys) this.objects.delete(k);
  }
}

/** An Archive that records the order of writes and forwards everything to `inner`. */
export class RecordingArchive implements Archive {
  readonly driver: string;
  /** Keys in the order their puts completed. */
  readonly writes: string[] = [];
  readonly inner: Archive;
  constructor(inner: Archive = new MemoryArchive()) {
    this.inner = inner;
    this.driver = `recording+${inner.driver}`;
  }
  start(): Promise<void> {
    return this.inner.start();
  }
  health(): Promise<Health> {
    return this.inner.health();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  async put(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean> {
    const written = await this.inner.put(key, body, options);
    if (written) this.writes.push(key);
    return written;
  }
  get(key: string): Promise<Uint8Array> {
    return this.inner.get(key);
  }
  exists(key: string): Promise<boolean> {
    return this.inner.exists(key);
  }
  list(prefix: string): Promise<ObjectInfo[]> {
    return this.inner.list(prefix);
  }
  delete(keys: string[]): Promise<void> {
    return this.inner.delete(keys);
  }
  async text(key: string): Promise<string> {
    return new TextDecoder().decode(await this.inner.get(key));
  }
}

/**
 * A Bus that records what was published (and forwards it to `inner` when given). Without an
 * inner bus it only records: publish keeps the port's size limit, consume rejects.
 */
export class RecordingBus implements Bus {
  readonly driver: string;
  readonly maxMessageBytes: number;
  readonly published: { topic: string; message: BusMessage }[] = [];
  readonly #inner: Bus | undefined;
  constructor(inner?: Bus) {
    this.#inner = inner;
    this.driver = inner ? `recording+${inner.driver}` : "recording";
    this.maxMessageBytes = inner?.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  }
  async start(): Promise<void> {
    await this.#inner?.start();
  }
  async health(): Promise<Health> {
    return this.#inner ? this.#inner.health() : { ok: true, driver: this.driver };
  }
  async shutdown(): Promise<void> {
    await this.#inner?.shutdown();
  }
  async ensureTopics(topics: { name: string; partitions: number }[]): Promise<void> {
    await this.#inner?.ensureTopics(topics);
  }
  async publish(topic: string, messages: BusMessage[]): Promise<void> {
    if (this.#inner) await this.#inner.publish(topic, messages);
    else checkSizes(topic, messages, this.maxMessageBytes);
    for (const message of messages) this.published.push({ topic, message });
  }
  async consume(options: ConsumeOptions): Promise<Subscription> {
    if (!this.#inner)
      throw new ReeltimeError(
        "REELTIME_ERR_CONFIG",
        "a RecordingBus without an inner bus only records what is published: give it a bus to consume from",
      );
    return this.#inner.consume(options);
  }
  /** Decoded job events, in publish order. */
  events(jobId?: string): JobEvent[] {
    return this.published
      .map((p) => JSON.parse(new TextDecoder().decode(p.message.value)) as JobEvent)
      .filter((e) => jobId === undefined || e.job.id === jobId);
  }
}
