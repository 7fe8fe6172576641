import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Bus, ConsumedMessage, SearchStore } from "@reeltime/connectors";
import { createBus, createSearchStore, splitRecord } from "@reeltime/connectors";
import { ConnectionEnv, createLogger, loadEnv } from "@reeltime/runtime";
import { SwitchableBus } from "@reeltime/testkit";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../src/app.ts";
import { loadIngestConfig } from "../src/config.ts";

export const WRITE_KEY = "wk_test_0123456789abcdef";
export const OTHER_KEY = "wk_other_0123456789abcdef";
export const READ_TOKEN = "rt_test_0123456789abcdef";
export const ADMIN_TOKEN = "rt_admin_0123456789abcdef";
export const ORIGIN = "https://shop.example";

export interface Harness {
  app: FastifyInstance;
  bus: SwitchableBus;
  search: SearchStore;
  dir: string;
  close(): Promise<void>;
}

export function testEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    REELTIME_WRITE_KEYS: `shop:${WRITE_KEY},tv:${OTHER_KEY}`,
    REELTIME_READ_TOKENS: `shop:${READ_TOKEN},*:${ADMIN_TOKEN}`,
    REELTIME_CORS_ORIGINS: `shop=${ORIGIN}`,
    REELTIME_PUBLISH_TIMEOUT_MS: "2000",
    ...extra,
  };
}

/** An ingest app on the embedded bus and search store in a fresh temp dir (or on `connections`). */
export async function harness(
  extra: Record<string, string> = {},
  connections: Record<string, string> = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "reeltime-ingest-"));
  const env = loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir, ...connections });
  const bus = new SwitchableBus(await createBus(env));
  const search = await createSearchStore(env);
  await bus.start();
  await search.start();
  await search.init();
  await bus.ensureTopics(
    ["reeltime.playback", "reeltime.click", "reeltime.job", "reeltime.api", "reeltime.dead-letter"].map((name) => ({
      name,
      partitions: 2,
    })),
  );
  const app = await buildApp({
    config: loadIngestConfig(testEnv(extra)),
    bus,
    search,
    logger: createLogger("ingest-test", { level: process.env.LOG_LEVEL ?? "silent" }),
  });
  return {
    app,
    bus,
    search,
    dir,
    async close() {
      await app.close();
      await bus.shutdown();
      await search.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Reads `topics` from the beginning with a fresh group until `count` messages that `match`
 * arrived (or the timeout), and returns those: one message per event, batch records split as a
 * consumer splits them (splitRecord).
 */
export async function drain(
  bus: Bus,
  topics: string[],
  count: number,
  timeoutMs = 15_000,
  match: (m: ConsumedMessage) => boolean = () => true,
): Promise<ConsumedMessage[]> {
  const got: ConsumedMessage[] = [];
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => {
    done = r;
  });
  const sub = await bus.consume({
    group: `drain-${Math.random().toString(36).slice(2)}`,
    topics,
    start: "earliest",
    handler: async (batch) => {
      for (const record of batch.messages) {
        const content = splitRecord(record);
        if (!("messages" in content)) throw new Error(`unreadable record: ${content.unreadable.message}`);
        got.push(...content.messages.filter(match));
      }
      if (got.length >= count) done();
    },
  });
  const timer = setTimeout(done, timeoutMs);
  await finished;
  clearTimeout(timer);
  await sub.stop();
  return got;
}

export const decode = (m: ConsumedMessage) => JSON.parse(new TextDecoder().decode(m.value)) as Record<string, unknown>;

export const gzip = (body: unknown) => gzipSync(Buffer.from(JSON.stringify(body)));
