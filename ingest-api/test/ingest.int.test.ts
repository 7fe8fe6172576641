import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBus, createSearchStore, splitRecord } from "@reeltime/connectors";
import { eventsDataStream, exampleEvent, TOPICS } from "@reeltime/events";
import { elasticsearchMajors, LOCAL_ENDPOINTS } from "@reeltime/infra";
import { ConnectionEnv, createLogger, loadEnv } from "@reeltime/runtime";
import { startTcpProxy } from "@reeltime/testkit";
import { CMCD_KEYS, CmcdReporter } from "@svta/cml-cmcd";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.ts";
import { loadIngestConfig } from "../src/config.ts";
import { decode, drain, type Harness, harness, READ_TOKEN, testEnv, WRITE_KEY } from "./helpers.ts";

const BUSES: [string, Record<string, string>][] = [
  ["kafka", { REELTIME_BUS: "kafka", REELTIME_KAFKA_BROKERS: LOCAL_ENDPOINTS.kafka.brokers.join(",") }],
  ["kinesis", { REELTIME_BUS: "kinesis", REELTIME_KINESIS_ENDPOINT: LOCAL_ENDPOINTS.kinesis.endpoint }],
];
const ES = { REELTIME_SEARCH: "elasticsearch", REELTIME_ES_URL: LOCAL_ENDPOINTS.elasticsearch.url };

// Every bus on Elasticsearch 8; the last-N read through the API on Elasticsearch 9 too (on Kafka).
const [ES8, ES9] = elasticsearchMajors();
const CELLS: [string, string, Record<string, string>, string][] = [
  ...BUSES.map(([name, busEnv]): [string, string, Record<string, string>, string] => [name, "8", busEnv, ES8!.url]),
  [BUSES[0]![0], "9", BUSES[0]![1], ES9!.url],
];

describe.each(CELLS)("ingest on real %s with real Elasticsearch %s", (_name, _major, busEnv, esUrl) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({}, { ...busEnv, ...ES, REELTIME_ES_URL: esUrl });
  });
  afterAll(() => h?.close());

  const post = (body: unknown) =>
    h.app.inject({
      method: "POST",
      url: "/v1/events",
      headers: { "content-type": "application/json", "x-reeltime-key": WRITE_KEY },
      payload: JSON.stringify(body),
      remoteAddress: "198.51.100.23",
    });

  it("accepts a batch only once the bus acknowledged it, keyed by view", async () => {
    const viewId = `view-int-${Date.now()}`;
    const events = [0, 1, 2].map((seq) => ({ ...exampleEvent("playback.heartbeat", { seq }), view_id: viewId }));
    const res = await post({ events });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().accepted).toBe(3);
    const ids = new Set(events.map((e) => e.event_id));
    const got = await drain(h.bus, [TOPICS.playback], 3, 60_000, (m) => ids.has(String(decode(m).event_id)));
    expect(got.map((m) => decode(m).seq)).toEqual([0, 1, 2]); // one key: order kept
    expect(got.every((m) => m.key === viewId)).toBe(true);
    expect(decode(got[0]!)).toMatchObject({ app_id: "shop", client: { ip: "198.51.100.0" } });
  });

  it("invalid events reach the dead-letter stream with their reason", async () => {
    const bad = { ...exampleEvent("click"), seq: -7 };
    const res = await post([exampleEvent("click"), bad]);
    expect(res.json()).toMatchObject({ accepted: 1, rejected: 1 });
    const [letter] = await drain(h.bus, [TOPICS.deadLetter], 1, 60_000, (m) => decode(m).event_id === bad.event_id);
    expect(decode(letter!)).toMatchObject({ reason: "range", stage: "ingest" });
  });

  it("reads the newest events back from Elasticsearch with a read token", async () => {
    const viewId = `view-read-${Date.now()}`;
    const base = Date.now();
    const stored = [0, 1, 2].map((i) => ({
      ...exampleEvent("playback.pause", { seq: i }),
      view_id: viewId,
      app_id: "shop",
      received_at: new Date(base + i).toISOString(),
    }));
    await h.search.index(stored);
    await h.search.refresh();
    const res = await h.app.inject({
      method: "GET",
      url: `/v1/events/last?view_id=${viewId}&n=2`,
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().events.map((e: { seq: number }) => e.seq)).toEqual([2, 1]);
  });
});

/** Reports as hls.js posts them: its CMCD library's reporter, captured at the transport. */
async function cmcdBody(sid: string): Promise<string> {
  const bodies: string[] = [];
  const reporter = new CmcdReporter(
    {
      sid,
      cid: "vid-int",
      version: 2,
      // hls.js enables every key by default; the reporter alone sends only e, ts, v and what changed.
      eventTargets: [
        { url: "https://collect.test/v1/cmcd", events: ["ps", "bc"], batchSize: 3, enabledKeys: CMCD_KEYS },
      ],
    },
    async (req) => {
      bodies.push(String(req.body));
      return { status: 204 } as never;
    },
  );
  reporter.start();
  reporter.update({ br: [3000], mtp: [25400], bl: [12000], sf: "h", st: "v" });
  reporter.recordEvent("ps", { sta: "p" });
  reporter.recordEvent("bc", { br: [4500] });
  reporter.recordEvent("ps", { sta: "e" });
  await new Promise((r) => setTimeout(r, 20));
  reporter.stop();
  return bodies.join("\n");
}

describe("CMCD through real Kafka into real Elasticsearch", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({}, { ...BUSES[0]![1], ...ES });
    // Indices made before CMCD keys were typed keep `cmcd` flattened: start a fresh backing index.
    const res = await fetch(`${ES.REELTIME_ES_URL}/${eventsDataStream("playback")}/_rollover`, { method: "POST" });
    expect([200, 404]).toContain(res.status);
  });
  afterAll(() => h?.close());

  it("inner lists stay numbers: a numeric range query on cmcd.br finds the report", async () => {
    const sid = `view-cmcd-int-${Date.now()}`;
    // The shared playback topic carries every test's and drill's traffic, so instead of reading it
    // back, keep what ingest handed to Kafka once Kafka acknowledged it: those bytes go to ES.
    const acked: Record<string, unknown>[] = [];
    const publish = h.bus.publish.bind(h.bus);
    h.bus.publish = async (topic, messages) => {
      const r = await publish(topic, messages);
      // One record per view in batch-v1: split as a consumer splits it.
      if (topic === TOPICS.playback)
        for (const m of messages) {
          const content = splitRecord({
            topic,
            partition: "0",
            offset: "0",
            key: m.key,
            value: m.value,
            headers: m.headers ?? {},
            timestamp: 0,
          });
          if (!("messages" in content)) throw new Error(`unreadable record: ${content.unreadable.message}`);
          acked.push(...content.messages.map((e) => decode(e)));
        }
      return r;
    };
    const res = await h.app.inject({
      method: "POST",
      url: `/v1/cmcd?key=${WRITE_KEY}`,
      headers: { "content-type": "application/cmcd" },
      payload: await cmcdBody(sid),
    });
    h.bus.publish = publish;
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ accepted: 3, rejected: 0 });
    const got = acked.filter((e) => e.view_id === sid);
    const brs = got.map((e) => (e.cmcd as { br: number[] }).br);
    expect(brs.every((br) => Array.isArray(br) && br.every((n) => typeof n === "number"))).toBe(true);
    expect(brs.flat()).toContain(4500);
    const indexed = await h.search.index(got as never);
    expect(indexed.rejected).toEqual([]);
    expect(indexed.indexed + indexed.duplicates).toBe(3);
    await h.search.refresh();
    // 4500 >= 10000 is false for a number and true for text ("4500" > "10000"): a flattened
    // field would match; a long does not.
    const search = async (gte: number) => {
      const r = await fetch(`${ES.REELTIME_ES_URL}/${eventsDataStream("playback")}/_search`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query: { bool: { filter: [{ term: { view_id: sid } }, { range: { "cmcd.br": { gte } } }] } },
        }),
      });
      expect(r.status).toBe(200);
      return ((await r.json()) as { hits: { hits: { _source: { cmcd: { br: number[]; mtp: number[] } } }[] } }).hits
        .hits;
    };
    expect(await search(10_000)).toEqual([]);
    const hits = await search(4000);
    expect(hits).toHaveLength(brs.filter((br) => br[0]! >= 4000).length);
    expect(hits[0]!._source.cmcd).toMatchObject({ br: [4500], mtp: [25400] });
  });
});

describe("a bus that goes down", () => {
  it("Kinesis cut off: 503 with Retry-After, nothing written, and recovery afterwards", async () => {
    const proxy = await startTcpProxy(Number(new URL(LOCAL_ENDPOINTS.kinesis.endpoint).port));
    const h = await harness(
      { REELTIME_PUBLISH_TIMEOUT_MS: "4000" },
      {
        REELTIME_BUS: "kinesis",
        REELTIME_KINESIS_ENDPOINT: `http://127.0.0.1:${proxy.port}`,
        REELTIME_BUS_TIMEOUT_MS: "3000",
      },
    );
    try {
      const viewId = `view-outage-${Date.now()}`;
      const send = (e: object) =>
        h.app.inject({
          method: "POST",
          url: "/v1/events",
          headers: { "content-type": "application/json", "x-reeltime-key": WRITE_KEY },
          payload: JSON.stringify([{ ...e, view_id: viewId }]),
        });
      const before = exampleEvent("playback.play", { seq: 1 });
      await proxy.cut();
      const res = await send(before);
      expect(res.statusCode, res.body).toBe(503);
      expect(res.headers["retry-after"]).toBe("5");
      await proxy.restore();
      const after = exampleEvent("playback.pause", { seq: 2 });
      expect((await send(after)).statusCode).toBe(200);
      const seen = await drain(h.bus, [TOPICS.playback], 1, 60_000, (m) => m.key === viewId);
      expect(seen.map((m) => decode(m).event_id)).toEqual([after.event_id]);
    } finally {
      await h.close();
      await proxy.close();
    }
  });

  it("Kafka unreachable: 503 within the publish timeout", async () => {
    const dir = await mkdtemp(join(tmpdir(), "reeltime-kafka-down-"));
    const env = loadEnv(ConnectionEnv, {
      REELTIME_DATA_DIR: dir,
      REELTIME_BUS: "kafka",
      REELTIME_KAFKA_BROKERS: "127.0.0.1:1",
      REELTIME_BUS_TIMEOUT_MS: "2000",
    });
    const bus = await createBus(env);
    const search = await createSearchStore(env);
    const app = await buildApp({
      config: loadIngestConfig(testEnv({ REELTIME_PUBLISH_TIMEOUT_MS: "3000" })),
      bus,
      search,
      logger: createLogger("ingest-test", { level: "silent" }),
    });
    try {
      const started = Date.now();
      const res = await app.inject({
        method: "POST",
        url: "/v1/events",
        headers: { "content-type": "application/json", "x-reeltime-key": WRITE_KEY },
        payload: JSON.stringify([exampleEvent("click")]),
      });
      expect(res.statusCode, res.body).toBe(503);
      expect(res.json().error.code).toBe("REELTIME_ERR_BUS_UNAVAILABLE");
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((await app.inject("/readyz")).statusCode).toBe(503);
    } finally {
      await app.close();
      await bus.shutdown().catch(() => undefined);
      await search.shutdown();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("/metrics", () => {
  it("passes promtool check metrics", async () => {
    const h = await harness();
    try {
      await h.app.inject({
        method: "POST",
        url: "/v1/events",
        headers: { "content-type": "application/json", "x-reeltime-key": WRITE_KEY },
        payload: JSON.stringify([exampleEvent("click")]),
      });
      const body = (await h.app.inject("/metrics")).body;
      const out = execFileSync("promtool", ["check", "metrics"], { input: body, encoding: "utf8" });
      expect(out).not.toMatch(/error|problem/i);
    } finally {
      await h.close();
    }
  });
});
