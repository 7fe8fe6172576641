import type { Bus, BusMessage, ConsumeOptions, Subscription } from "@reeltime/connectors";

/**
 * A bus whose topic names all carry `prefix`, so a benchmark on the shared local Kafka never
 * writes into (or reads from) the topics other engineers' processors consume. Consumed
 * messages keep the prefixed names; processors commit them back through the same subscription.
 */
export class PrefixedBus implements Bus {
  readonly driver: string;
  readonly prefix: string;
  readonly #inner: Bus;

  constructor(inner: Bus, prefix: string) {
    this.#inner = inner;
    this.prefix = prefix;
    this.driver = inner.driver;
  }

  get maxMessageBytes(): number {
    return this.#inner.maxMessageBytes;
  }

  topic(name: string): string {
    return `${this.prefix}${name}`;
  }

  start() {
    return this.#inner.start();
  }

  health() {
    return this.#inner.health();
  }

  shutdown() {
    return this.#inner.shutdown();
  }

  ensureTopics(topics: { name: string; partitions: number }[]) {
    return this.#inner.ensureTopics(topics.map((t) => ({ ...t, name: this.topic(t.name) })));
  }

  publish(topic: string, messages: BusMessage[]) {
    return this.#inner.publish(this.topic(topic), messages);
  }

  consume(options: ConsumeOptions): Promise<Subscription> {
    return this.#inner.consume({ ...options, topics: options.topics.map((t) => this.topic(t)) });
  }
}
