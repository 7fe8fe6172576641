import { exampleEvent } from "@reeltime/events";
import { afterEach, describe, expect, it } from "vitest";
import { type BatchInput, type Prepared, prepareBatch } from "../src/prepare.ts";
import { createPreparer, type Preparer, QUEUE_PER_WORKER } from "../src/prepare-pool.ts";

const ctx = { appId: "shop", keyId: "k1", receivedAt: "2026-12-04T10:00:00.000Z", ip: "203.0.113.0", country: "DE" };

function input(events: unknown[]): BatchInput {
  return {
    body: Buffer.from(JSON.stringify(events)),
    ctx,
    maxEvents: 500,
    format: "batch-v1",
    maxMessageBytes: 1_000_000,
    headers: { schema_version: "1.0", "content-type": "application/json" },
  };
}

/** A prepared request as plain data: record bytes as text, dead-letter ids (random) left out. */
function plain(p: Prepared) {
  if (p.kind === "json") return p;
  if (p.kind === "batch") return { ...p, letter: { ...p.letter, dead_letter_id: "" } };
  return {
    ...p,
    letters: p.letters.map(({ dead_letter_id: _, ...rest }) => rest),
    topics: p.topics.map((t) => ({ ...t, bytes: Buffer.from(t.bytes).toString("utf8") })),
  };
}

let pool: Preparer | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe("the prepare pool (REELTIME_INGEST_WORKERS)", () => {
  it("a worker thread answers exactly what the event loop answers: records, answers, dead letters, refusals", async () => {
    pool = createPreparer(1);
    const views = Array.from({ length: 30 }, (_, i) => ({
      ...exampleEvent("playback.heartbeat"),
      view_id: `view-${i % 4}`,
      seq: i,
    }));
    const cases = [
      input([...views, { ...exampleEvent("click"), seq: "bad" }, exampleEvent("click")]),
      input([{ ...exampleEvent("playback.play"), title: "ü \ud800 😀" }]),
      { ...input([]), body: Buffer.from("[{") },
      input([]),
      { ...input(views), format: "event" as const },
    ];
    for (const c of cases) {
      const onLoop = prepareBatch(c);
      // The pool takes the bytes it is given (moved to the worker): it gets a copy of them.
      const onWorker = await pool.prepare({ ...c, body: Buffer.from(c.body) });
      expect(plain(onWorker)).toEqual(plain(onLoop));
    }
    const ok = prepareBatch(cases[0]!);
    // The case above is a real mixed batch: the check compares records, not two refusals.
    expect(ok).toMatchObject({ kind: "ok", accepted: 31, rejected: 1 });
    expect(ok.kind === "ok" && ok.topics.length).toBe(2);
  });

  it("moves a body that fills its own ArrayBuffer to the worker; one in Node's buffer pool is copied, the pool untouched", async () => {
    pool = createPreparer(1);
    const events = Array.from({ length: 200 }, (_, i) => ({ ...exampleEvent("playback.heartbeat"), seq: i }));
    const big = Buffer.concat([Buffer.from(JSON.stringify(events))]);
    // What Fastify hands the route for a body of half of Buffer.poolSize or more: a buffer of its own.
    expect(big.length).toBeGreaterThan(Buffer.poolSize >>> 1);
    expect(big.byteOffset === 0 && big.byteLength === big.buffer.byteLength).toBe(true);
    await expect(pool.prepare({ ...input([]), body: big })).resolves.toMatchObject({ kind: "ok", accepted: 200 });
    expect(big.byteLength).toBe(0); // moved (detached here), not copied
    const small = Buffer.from(JSON.stringify([exampleEvent("click")]));
    expect(small.byteLength).toBeLessThan(small.buffer.byteLength); // a slice of the pool
    const before = Buffer.from(small);
    await expect(pool.prepare({ ...input([]), body: small })).resolves.toMatchObject({ kind: "ok", accepted: 1 });
    expect(small.equals(before)).toBe(true);
  });

  it("past its queue a worker refuses with REELTIME_ERR_OVERLOADED, and every request it took is answered", async () => {
    pool = createPreparer(1);
    const one = input([exampleEvent("playback.play")]);
    const answers = await Promise.allSettled(Array.from({ length: QUEUE_PER_WORKER + 20 }, () => pool!.prepare(one)));
    const refused = answers.filter((a) => a.status === "rejected");
    expect(refused).toHaveLength(20);
    for (const r of refused) expect((r.reason as { code?: string }).code).toBe("REELTIME_ERR_OVERLOADED");
    const taken = answers.filter((a) => a.status === "fulfilled").map((a) => a.value);
    expect(taken).toHaveLength(QUEUE_PER_WORKER);
    for (const p of taken) expect(p).toMatchObject({ kind: "ok", accepted: 1 });
    // The queue drained: the next request is taken.
    await expect(pool.prepare(one)).resolves.toMatchObject({ kind: "ok", accepted: 1 });
  });

  it("two workers take twice the queue (requests spread over both), and a closed pool refuses", async () => {
    pool = createPreparer(2);
    const one = input([exampleEvent("playback.play")]);
    const answers = await Promise.all(Array.from({ length: 2 * QUEUE_PER_WORKER }, () => pool!.prepare(one)));
    expect(answers.every((a) => a.kind === "ok")).toBe(true);
    await pool.close();
    await expect(pool.prepare(one)).rejects.toMatchObject({ code: "REELTIME_ERR_OVERLOADED" });
    pool = undefined;
  });
});
