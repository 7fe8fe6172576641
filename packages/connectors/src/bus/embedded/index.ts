import type { Bus, BusMessage, ConsumeOptions, Health, Subscription } from "@reeltime/ports";
import type { ConnectionEnv } from "@reeltime/runtime";
import { checkSizes, MAX_MESSAGE_BYTES, stoppedError } from "../limits.ts";
import { fsUnavailable, LogStore } from "./store.ts";
import { EmbeddedSubscription } from "./subscription.ts";

export type EmbeddedBusEnv = Pick<
  ConnectionEnv,
  "REELTIME_DATA_DIR" | "REELTIME_PARTITIONS" | "REELTIME_EMBEDDED_SEGMENT_BYTES"
>;

/** One store per data directory in this process, shared by every Bus opened on it. */
const stores = new Map<string, { store: Promise<LogStore>; refs: number }>();

function acquire(dir: string, segmentBytes: number): Promise<LogStore> {
  let entry = stores.get(dir);
  if (!entry) {
    const store = LogStore.open(dir, segmentBytes);
    entry = { store, refs: 0 };
    stores.set(dir, entry);
    store.catch(() => stores.delete(dir));
  }
  entry.refs++;
  return entry.store;
}

async function release(dir: string): Promise<void> {
  const entry = stores.get(dir);
  if (!entry || --entry.refs > 0) return;
  stores.delete(dir);
  await (await entry.store).close();
}

/**
 * The embedded bus: a durable log in REELTIME_DATA_DIR/bus, for one process on one machine.
 * `publish` resolves once the records are fsync'd; positions of consumer groups are kept
 * in files too, so a restarted process continues where its groups committed.
 */
export function createEmbeddedBus(env: EmbeddedBusEnv): Bus {
  const dir = LogStore.resolveDir(env.REELTIME_DATA_DIR);
  const subscriptions = new Set<EmbeddedSubscription>();
  let store: Promise<LogStore> | null = null;
  let state: "new" | "started" | "stopped" = "new";

  async function open(): Promise<LogStore> {
    if (state === "stopped") throw stoppedError("embedded");
    if (!store) {
      state = "started";
      store = acquire(dir, env.REELTIME_EMBEDDED_SEGMENT_BYTES);
      store.catch(() => {
        store = null;
        void release(dir);
      });
    }
    try {
      return await store;
    } catch (e) {
      throw fsUnavailable(dir, e);
    }
  }

  return {
    driver: "embedded",
    maxMessageBytes: MAX_MESSAGE_BYTES,

    async start() {
      await open();
    },

    async health(): Promise<Health> {
      try {
        await open();
        return { ok: true, driver: "embedded", detail: dir };
      } catch (e) {
        return { ok: false, driver: "embedded", detail: (e as Error).message };
      }
    },

    async ensureTopics(topics) {
      const s = await open();
      for (const t of topics) await s.ensureTopic(t.name, t.partitions);
    },

    async publish(topic: string, messages: BusMessage[]) {
      checkSizes(topic, messages);
      const s = await open();
      if (messages.length === 0) return;
      try {
        if (!(await s.existingTopic(topic))) await s.ensureTopic(topic, env.REELTIME_PARTITIONS);
      } catch (e) {
        throw fsUnavailable(dir, e);
      }
      await s.append(topic, messages);
    },

    async consume(options: ConsumeOptions): Promise<Subscription> {
      const s = await open();
      for (const t of options.topics) {
        if (!(await s.existingTopic(t))) await s.ensureTopic(t, env.REELTIME_PARTITIONS);
      }
      const sub = new EmbeddedSubscription(s, options);
      subscriptions.add(sub);
      const stop = sub.stop.bind(sub);
      sub.stop = async () => {
        await stop();
        subscriptions.delete(sub);
      };
      await sub.start();
      return sub;
    },

    async shutdown() {
      if (state === "stopped") return;
      const wasOpen = store !== null;
      state = "stopped";
      await Promise.all([...subscriptions].map((s) => s.stop()));
      if (wasOpen) await release(dir);
    },
  };
}
