import type { Bus } from "@reeltime/connectors";
import type { ReeltimeEvent } from "@reeltime/events";
import { publishEvents } from "@reeltime/testkit/workload";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Publishes events in batches at a steady rate while the drill injects its faults, the way
 * ingest keeps taking traffic while processors crash and stores go down. A batch the bus
 * refuses is published again until it is acknowledged (consumers drop the duplicates a
 * half-written batch can leave, by event_id). `pause()` waits for the batch in flight and
 * holds the next one: the drill pauses around the broker restart, when ingest would answer 503.
 */
export class PacedProducer {
  readonly #bus: Bus;
  readonly #events: ReeltimeEvent[];
  readonly #batch: number;
  readonly #rate: number;
  #published = 0;
  #retries = 0;
  #inFlight: Promise<void> = Promise.resolve();
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;
  #done: Promise<void> | undefined;
  #stopped = false;

  constructor(bus: Bus, events: ReeltimeEvent[], opts: { eventsPerSecond: number; batch?: number }) {
    this.#bus = bus;
    this.#events = events;
    this.#rate = opts.eventsPerSecond;
    this.#batch = opts.batch ?? 250;
  }

  /** Events acknowledged by the bus so far. */
  get published(): number {
    return this.#published;
  }
  /** Publish calls that were refused and made again. */
  get retries(): number {
    return this.#retries;
  }

  start(): Promise<void> {
    this.#done ??= this.#run();
    return this.#done;
  }

  async #run(): Promise<void> {
    const interval = (this.#batch / this.#rate) * 1000;
    let next = Date.now();
    for (let i = 0; i < this.#events.length && !this.#stopped; i += this.#batch) {
      while (this.#gate) await this.#gate;
      if (this.#stopped) return;
      const slice = this.#events.slice(i, i + this.#batch);
      this.#inFlight = this.#publish(slice);
      await this.#inFlight;
      this.#published += slice.length;
      next += interval;
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      else next = Date.now();
    }
  }

  async #publish(slice: ReeltimeEvent[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await publishEvents(this.#bus, slice, slice.length);
        return;
      } catch (err) {
        if (attempt >= 600 || this.#stopped) throw err;
        this.#retries++;
        await sleep(500);
      }
    }
  }

  /** Holds publishing after the batch in flight (which it waits for). */
  async pause(): Promise<void> {
    this.#gate ??= new Promise((r) => {
      this.#open = r;
    });
    await this.#inFlight.catch(() => undefined);
  }

  /** Publishes nothing more after the batch in flight (a drill stopped early). */
  stop(): void {
    this.#stopped = true;
  }

  resume(): void {
    const open = this.#open;
    this.#gate = undefined;
    this.#open = undefined;
    open?.();
  }
}
