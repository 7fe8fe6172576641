// Receives what the SDK sends. Today: a small local stand-in for the ingest API that answers
// exactly like it (`{ results: [{ index, ok, errors? }] }`, per-event validation with the contract).
// The test talks to it only through `Collector`, so the real ingest API (ingest-api `buildApp()`)
// can replace it once it exists: see `startCollector`.

import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { validateBatch } from "@reeltime/events";
import type { WireEvent } from "../../src/contract.ts";

/** One request the collector received. */
export interface Received {
  path: string;
  contentType: string;
  /** The write key, from the `x-reeltime-key` header (fetch) or the `key` query parameter (beacon). */
  key: string | undefined;
  via: "header" | "query" | "none";
  events: WireEvent[];
  body: string;
}

export interface Collector {
  /** Base URL to give the SDK as `endpoint`. */
  readonly url: string;
  readonly received: Received[];
  /** CMCD v2 reports posted by hls.js to /v1/cmcd (raw bodies). */
  readonly cmcdReports: string[];
  /** Events the contract refused (must stay empty). */
  readonly rejected: unknown[];
  events(): WireEvent[];
  /** Resolves with the first event matching `pred` (already received or yet to come). */
  waitFor(pred: (e: WireEvent) => boolean, what: string, timeoutMs?: number): Promise<WireEvent>;
  /** Stops accepting connections (the ingest API is down) and comes back on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "POST, OPTIONS",
  "access-control-allow-headers": "content-type, x-reeltime-key",
  "access-control-max-age": "600",
};

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });

/**
 * The collector for the browser tests. Set REELTIME_SDK_COLLECTOR=ingest-api to run them against
 * the real ingest API once it exists (not wired yet).
 */
export async function startCollector(writeKey: string): Promise<Collector> {
  if (process.env.REELTIME_SDK_COLLECTOR === "ingest-api")
    throw new Error(
      "REELTIME_SDK_COLLECTOR=ingest-api: the real ingest API adapter is not wired yet; implement Collector over ingest-api buildApp() (listen on 127.0.0.1, read events back from the bus)",
    );
  return startLocalCollector(writeKey);
}

export async function startLocalCollector(writeKey: string): Promise<Collector> {
  const received: Received[] = [];
  const cmcd: string[] = [];
  const rejected: unknown[] = [];
  const waiters = new Set<{ pred: (e: WireEvent) => boolean; resolve: (e: WireEvent) => void }>();
  const all = () => received.flatMap((r) => r.events);
  let port = 0;
  let server: Server;

  const handler = async (req: IncomingMessage, res: import("node:http").ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method === "OPTIONS") return void res.writeHead(204, CORS).end();
    const body = await readBody(req);
    const headerKey = req.headers["x-reeltime-key"];
    const key = typeof headerKey === "string" ? headerKey : (url.searchParams.get("key") ?? undefined);
    if (key !== writeKey) return void res.writeHead(401, CORS).end('{"error":"bad write key"}');
    if (url.pathname === "/v1/cmcd") {
      cmcd.push(body);
      return void res.writeHead(204, CORS).end();
    }
    if (url.pathname !== "/v1/events" || req.method !== "POST") return void res.writeHead(404, CORS).end();
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return void res.writeHead(400, CORS).end('{"error":"body is not JSON"}');
    }
    const result = validateBatch(parsed);
    if (result.batchErrors.length > 0) return void res.writeHead(400, CORS).end(JSON.stringify(result));
    const accepted = result.results.flatMap((r) => (r.ok ? [r.event as WireEvent] : []));
    rejected.push(...result.results.filter((r) => !r.ok));
    received.push({
      path: url.pathname,
      contentType: String(req.headers["content-type"] ?? ""),
      key,
      via: typeof headerKey === "string" ? "header" : url.searchParams.has("key") ? "query" : "none",
      events: accepted,
      body,
    });
    for (const w of [...waiters]) {
      const hit = accepted.find(w.pred);
      if (hit) {
        waiters.delete(w);
        w.resolve(hit);
      }
    }
    const results = result.results.map((r) =>
      r.ok ? { index: r.index, ok: true } : { index: r.index, ok: false, errors: r.errors },
    );
    res.writeHead(result.rejected > 0 ? 207 : 200, { ...CORS, "content-type": "application/json" });
    res.end(JSON.stringify({ results }));
  };

  let isUp = false;
  const listen = async () => {
    if (isUp) return;
    isUp = true;
    server = createServer((req, res) => void handler(req, res));
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!isUp) return resolve();
      isUp = false;
      server.closeAllConnections();
      server.close(() => resolve());
    });
  await listen();

  return {
    url: `http://127.0.0.1:${port}`,
    received,
    cmcdReports: cmcd,
    rejected,
    events: all,
    waitFor(pred, what, timeoutMs = 60_000) {
      const hit = all().find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise<WireEvent>((resolve, reject) => {
        const w = { pred, resolve };
        waiters.add(w);
        setTimeout(() => {
          if (waiters.delete(w)) reject(new Error(`collector: no ${what} within ${timeoutMs} ms`));
        }, timeoutMs).unref();
      });
    },
    down: stop,
    up: listen,
    close: stop,
  };
}
