import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exampleEvent } from "@reeltime/events";
import type { SearchStore, StoredEvent } from "@reeltime/ports";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createElasticsearchStore } from "../src/index.ts";

/** A stand-in for Elasticsearch's HTTP API that scripts _bulk answers, to provoke 429/5xx on demand. */
type BulkScript = (attempt: number, ids: string[]) => { status: number; items?: number[] };

let server: Server;
let url: string;
let script: BulkScript;
let bulkBodies: string[];

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "x-elastic-product": "Elasticsearch" });
  res.end(JSON.stringify(body));
}

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  if (req.url?.startsWith("/_bulk")) {
    const lines = body.split("\n").filter((l) => l !== "");
    const ids = lines
      .filter((_, i) => i % 2 === 0)
      .map((l) => (Object.values(JSON.parse(l))[0] as { _id: string })._id);
    const answer = script(bulkBodies.length, ids);
    bulkBodies.push(body);
    if (!answer.items) {
      reply(res, answer.status, { error: { type: "unavailable", reason: "scripted" } });
      return;
    }
    const items = answer.items.map((status, i) => ({
      create: {
        _id: ids[i],
        status,
        ...(status >= 300
          ? {
              error: { type: status === 400 ? "document_parsing_exception" : "scripted", reason: `scripted ${status}` },
            }
          : {}),
      },
    }));
    reply(res, 200, { took: 1, errors: items.some((i) => i.create.status >= 300), items });
    return;
  }
  reply(res, 200, { acknowledged: true });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => handle(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  bulkBodies = [];
});

const events = (n: number) =>
  Array.from(
    { length: n },
    () => ({ ...exampleEvent("playback.play"), received_at: new Date().toISOString() }) as StoredEvent,
  );
const store = (opts = {}): SearchStore =>
  createElasticsearchStore({ REELTIME_ES_URL: url }, { retries: 3, backoffMs: 5, maxBackoffMs: 20, ...opts });

describe("elasticsearch bulk writes", () => {
  it("retries only the items refused with 429/5xx, counts 409 as duplicates and returns 400s", async () => {
    script = (attempt, ids) =>
      attempt === 0 ? { status: 200, items: [429, 201, 409, 400, 503] } : { status: 200, items: ids.map(() => 201) };
    const batch = events(5);
    const s = store();
    const r = await s.index(batch);
    expect(r.indexed).toBe(3);
    expect(r.duplicates).toBe(1);
    expect(r.rejected).toEqual([
      {
        event_id: batch[3]!.event_id,
        reason: "document_parsing_exception: scripted 400",
        status: 400,
        event: batch[3],
      },
    ]);
    expect(bulkBodies.length).toBe(2);
    expect(bulkBodies[1]).toContain(batch[0]!.event_id);
    expect(bulkBodies[1]).toContain(batch[4]!.event_id);
    expect(bulkBodies[1]!.split("\n").filter(Boolean).length).toBe(4);
    await s.shutdown();
  });

  it("retries a whole request answered 503, then succeeds", async () => {
    script = (attempt, ids) => (attempt < 2 ? { status: 503 } : { status: 200, items: ids.map(() => 201) });
    const s = store();
    expect(await s.index(events(3))).toEqual({ indexed: 3, duplicates: 0, rejected: [] });
    expect(bulkBodies.length).toBe(3);
    await s.shutdown();
  });

  it("gives up after bounded retries with a retryable error", async () => {
    script = (_, ids) => ({ status: 200, items: ids.map(() => 429) });
    const s = store();
    await expect(s.index(events(2))).rejects.toMatchObject({
      code: "REELTIME_ERR_SEARCH_UNAVAILABLE",
      retryable: true,
    });
    expect(bulkBodies.length).toBe(4);
    await s.shutdown();
  });

  it("splits a batch into requests of at most maxRequestBytes", async () => {
    script = (_, ids) => ({ status: 200, items: ids.map(() => 201) });
    const s = store({ maxRequestBytes: 16 * 1024 });
    expect((await s.index(events(200))).indexed).toBe(200);
    expect(bulkBodies.length).toBeGreaterThan(5);
    for (const b of bulkBodies) expect(Buffer.byteLength(b)).toBeLessThanOrEqual(16 * 1024);
    await s.shutdown();
  });

  it("splits a large write that fits one request into `concurrency` parallel parts; a small one goes whole", async () => {
    script = (_, ids) => ({ status: 200, items: ids.map(() => 201) });
    const s = store({ concurrency: 2 });
    const large = events(1200); // about 1 MB of bulk lines: under maxRequestBytes (2 MB)
    expect((await s.index(large)).indexed).toBe(1200);
    expect(bulkBodies).toHaveLength(2);
    const sizes = bulkBodies.map((b) => Buffer.byteLength(b));
    expect(Math.abs(sizes[0]! - sizes[1]!)).toBeLessThan(0.05 * (sizes[0]! + sizes[1]!));
    bulkBodies = [];
    expect((await s.index(events(50))).indexed).toBe(50); // under 256 KB: one request
    expect(bulkBodies).toHaveLength(1);
    await s.shutdown();
  });
});
