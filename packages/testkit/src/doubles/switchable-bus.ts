import type { Bus, BusMessage } from "@reeltime/connectors";
import { ReeltimeError } from "@reeltime/runtime";

/**
 * A bus that forwards to a real one, and can be switched "down" to fail like an unreachable
 * broker: publish rejects with the retryable REELTIME_ERR_BUS_UNAVAILABLE and health is not ok.
 */
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
      throw new ReeltimeError("REELTIME_ERR_BUS_UNAVAILABLE", "bus unavailable: switched down by the test");
    return this.#inner.publish(topic, messages);
  }
  consume(o: Parameters<Bus["consume"]>[0]) {
    return this.#inner.consume(o);
  }
}
