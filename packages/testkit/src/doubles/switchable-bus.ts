import type { Bus, BusMessage } from "@reeltime/connectors";

/** A bus that forwards to a real one, and can be switched "down" to fail like an unreachable broker. */
export class SwitchableBus implements Bus {
  readonly driver: string;
  down = false;
  readonly #inner: Bus;
  constructor(inner: Bus) {
    this.#inner = inner;
    this.driver = inner.driver;
  }
  get maxMessageBytes() {
    return this.#inner.maxMessageBytes;
  }
  start() {
    return this.#inner.start();
  }
  async health() {
    return this.down ? { ok: false, driver: this.driver, detail: "switched down by the test" } : this.#inner.health();
  }
  shutdown() {
    return this.#inner.shutdown();
  }
  ensureTopics(t: { name: string; partitions: number }[]) {
    return this.#inner.ensureTopics(t);
  }
  async publish(topic: string, messages: BusMessage[]) {
    if (this.down)
      throw Object.assign(new Error("bus unavailable: switched down"), { code: "REELTIME_ERR_BUS_UNAVAILABLE" });
    return this.#inner.publish(topic, messages);
  }
  consume(o: Parameters<Bus["consume"]>[0]) {
    return this.#inner.consume(o);
  }
}
