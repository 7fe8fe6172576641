// The real ingest API for the browser tests: ingest-api `buildApp()` listening on 127.0.0.1
// (a random port) over the embedded bus and search store in a temp dir. What the SDK sent is
// read back from the bus (reeltime.playback and reeltime.click), so an event counts as
// received only once the API validated, enriched and published it. CMCD reports posted by
// hls.js come back as the `playback.cmcd` events the API made of them.
// down()/up() close the API's HTTP listener and start a new API on the same port (same bus and
// data dir, like a restarted process); busDown() makes publishes fail so the API answers 503.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Bus,
  type ConsumedMessage,
  createBus,
  createSearchStore,
  type SearchStore,
  type Subscription,
  splitRecord,
} from "@reeltime/connectors";
import { buildApp, loadIngestConfig } from "@reeltime/ingest-api";
import { ConnectionEnv, createLogger, loadEnv } from "@reeltime/runtime";
import type { WireEvent } from "../../src/contract.ts";

/** The events a record holds (batch records split, anything else as it is). */
function eventsOf(record: ConsumedMessage): ConsumedMessage[] {
  const content = splitRecord(record);
  return "messages" in content ? content.messages : [record];
}

const TOPICS = ["reeltime.playback", "reeltime.click", "reeltime.job", "reeltime.api", "reeltime.dead-letter"];
type IngestApp = Awaited<ReturnType<typeof buildApp>>;

const READ = ["reeltime.playback", "reeltime.click", "reeltime.dead-letter"];

/** One POST the ingest API answered (recorded by a hook on the real app). */
export interface Received {
  path: string;
  status: number;
  contentType: string;
  /** The write key, from the `x-reeltime-key` header (fetch) or the `key` query parameter (beacon). */
  key: string | undefined;
  via: "header" | "query" | "none";
  /** Body size as sent (Content-Length). */
  bytes: number;
  /** The events of the batch as the API parsed them (empty for /v1/cmcd). */
  events: WireEvent[];
  /** The API's answer, and its Retry-After header. */
  answer: unknown;
  retryAfter: string | undefined;
}

export type CmcdEvent = Extract<WireEvent, { event_type: "playback.cmcd" }>;

export interface Collector {
  /** Base URL to give the SDK as `endpoint`. */
  readonly url: string;
  readonly received: Received[];
  /** Refusals: events answered `ok: false`, 4xx answers to a POST, and dead letters on the bus. */
  readonly rejected: unknown[];
  /** Events the SDK sent, as stored on the bus (enriched by the API), in bus order. */
  events(): WireEvent[];
  /** `playback.cmcd` events the API made of hls.js's CMCD v2 reports, as stored on the bus. */
  cmcd(): CmcdEvent[];
  /** Resolves with the first event on the bus matching `pred` (already there or yet to come). */
  waitFor(pred: (e: WireEvent) => boolean, what: string, timeoutMs?: number): Promise<WireEvent>;
  /** Closes the API's HTTP listener (connections refused), and starts a new API on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Makes the bus refuse the API's publishes (the API answers 503 with Retry-After), or accept them again. */
  busDown(down: boolean): void;
  close(): Promise<void>;
}

export interface CollectorOptions {
  appId: string;
  /** At least 16 characters (the API refuses shorter keys). */
  writeKey: string;
  /** Browser origins allowed to post (REELTIME_CORS_ORIGINS for the app). */
  origins: string[];
}

export async function startCollector(o: CollectorOptions): Promise<Collector> {
  const dir = await mkdtemp(join(tmpdir(), "reeltime-sdk-ingest-"));
  // Explicit connections: the embedded bus and search store, whatever the shell has set.
  const connections = loadEnv(ConnectionEnv, { REELTIME_DATA_DIR: dir });
  const bus: Bus = await createBus(connections);
  const search: SearchStore = await createSearchStore(connections);
  await bus.start();
  await search.start();
  await search.init();
  await bus.ensureTopics(TOPICS.map((name) => ({ name, partitions: 2 })));
  const config = loadIngestConfig({
    REELTIME_WRITE_KEYS: `${o.appId}:${o.writeKey}`,
    REELTIME_CORS_ORIGINS: `${o.appId}=${o.origins.join("|")}`,
  });
  const logger = createLogger("sdk-browser-ingest", { level: process.env.LOG_LEVEL ?? "silent" });

  // The API publishes through this: it fails like an unreachable broker while `busIsDown`.
  let busIsDown = false;
  const apiBus: Bus = {
    driver: bus.driver,
    get maxMessageBytes() {
      return bus.maxMessageBytes;
    },
    start: () => bus.start(),
    shutdown: () => bus.shutdown(),
    health: async () =>
      busIsDown ? { ok: false, driver: bus.driver, detail: "switched down by the test" } : bus.health(),
    ensureTopics: (topics) => bus.ensureTopics(topics),
    publish: async (topic, messages) => {
      if (busIsDown)
        throw Object.assign(new Error("bus unavailable: switched down"), { code: "REELTIME_ERR_BUS_UNAVAILABLE" });
      return bus.publish(topic, messages);
    },
    consume: (options) => bus.consume(options),
  };

  const received: Received[] = [];
  const rejected: unknown[] = [];
  const stored: WireEvent[] = [];
  const waiters = new Set<{ pred: (e: WireEvent) => boolean; resolve: (e: WireEvent) => void }>();

  const sub: Subscription = await bus.consume({
    group: "player-sdk-browser-test",
    topics: READ,
    start: "earliest",
    handler: async (batch) => {
      // One message per event: batch records are split as a consumer splits them.
      for (const m of batch.messages.flatMap(eventsOf)) {
        const value = JSON.parse(new TextDecoder().decode(m.value)) as unknown;
        if (m.topic === "reeltime.dead-letter") {
          rejected.push({ deadLetter: value });
          continue;
        }
        const e = value as WireEvent;
        stored.push(e);
        for (const w of [...waiters])
          if (w.pred(e)) {
            waiters.delete(w);
            w.resolve(e);
          }
      }
    },
  });

  /** Records every POST with the API's answer; added on each (re)built app. */
  const record = (app: IngestApp) =>
    app.addHook("onSend", async (req, reply, payload) => {
      if (req.method !== "POST") return payload;
      const path = req.url.split("?")[0]!;
      let answer: unknown = payload;
      try {
        answer = typeof payload === "string" ? JSON.parse(payload) : payload;
      } catch {}
      const header = req.headers["x-reeltime-key"];
      const query = (req.query as { key?: string } | undefined)?.key;
      // POST /v1/events keeps its body as bytes (`{ bytes }`): they are decoded and parsed where
      // they are validated, on the event loop (this app: no worker thread, so the bytes are still
      // here) or on a worker thread (ingest-api/src/prepare.ts).
      const bytes = (req.body as { bytes?: unknown } | undefined)?.bytes;
      let body: { events?: unknown } | unknown[] | undefined;
      try {
        body = bytes instanceof Uint8Array ? JSON.parse(Buffer.from(bytes).toString("utf8")) : undefined;
      } catch {}
      const events = path === "/v1/events" ? (Array.isArray(body) ? body : (body?.events ?? [])) : [];
      received.push({
        path,
        status: reply.statusCode,
        contentType: String(req.headers["content-type"] ?? ""),
        key: typeof header === "string" ? header : query,
        via: typeof header === "string" ? "header" : query !== undefined ? "query" : "none",
        bytes: Number(req.headers["content-length"] ?? 0),
        events: events as WireEvent[],
        answer,
        retryAfter: reply.getHeader("retry-after")?.toString(),
      });
      if (reply.statusCode >= 400 && reply.statusCode < 500) rejected.push({ path, status: reply.statusCode, answer });
      const results = (answer as { results?: { ok: boolean }[] } | null)?.results;
      if (Array.isArray(results)) rejected.push(...results.filter((r) => !r.ok).map((r) => ({ path, result: r })));
      return payload;
    });

  let app: IngestApp | undefined;
  let port = 0;
  const up = async () => {
    if (app) return;
    const next = await buildApp({ config, bus: apiBus, search, logger });
    record(next);
    await next.listen({ port, host: "127.0.0.1" });
    port = (next.server.address() as { port: number }).port;
    app = next;
  };
  const down = async () => {
    const current = app;
    app = undefined;
    if (!current) return;
    current.server.closeIdleConnections();
    await current.close();
  };
  await up();

  const sdkEvents = () => stored.filter((e) => e.event_type !== "playback.cmcd");
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    rejected,
    events: sdkEvents,
    cmcd: () => stored.filter((e): e is CmcdEvent => e.event_type === "playback.cmcd"),
    waitFor(pred, what, timeoutMs = 60_000) {
      const hit = stored.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise<WireEvent>((resolve, reject) => {
        const w = { pred, resolve };
        waiters.add(w);
        setTimeout(() => {
          if (waiters.delete(w)) reject(new Error(`ingest API: no ${what} on the bus within ${timeoutMs} ms`));
        }, timeoutMs).unref();
      });
    },
    down,
    up,
    busDown(down) {
      busIsDown = down;
    },
    async close() {
      await down();
      await sub.stop();
      await bus.shutdown();
      await search.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
