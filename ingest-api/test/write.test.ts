import { exampleEvent, TOPICS, validateDeadLetter } from "@reeltime/events";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decode, drain, gzip, type Harness, harness, ORIGIN, OTHER_KEY, WRITE_KEY } from "./helpers.ts";

// Every case on the event loop and on a worker thread: POST /v1/events must answer, publish and
// refuse the same either way (REELTIME_INGEST_WORKERS).
describe.each(["0", "1"])("REELTIME_INGEST_WORKERS=%s", (workers) => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness({ REELTIME_INGEST_WORKERS: workers });
  });
  afterEach(() => h.close());

  const post = (body: unknown, headers: Record<string, string> = {}, url = "/v1/events") =>
    h.app.inject({
      method: "POST",
      url,
      headers: { "content-type": "application/json", "x-reeltime-key": WRITE_KEY, ...headers },
      payload: typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body),
      remoteAddress: "203.0.113.77",
    });

  describe("POST /v1/events: accepted", () => {
    it("publishes each client family to its topic, keyed, enriched by the server; a job event is refused as server-only", async () => {
      const play = { ...exampleEvent("playback.play"), app_id: "spoofed", received_at: "2020-01-01T00:00:00.000Z" };
      const click = exampleEvent("click");
      const job = exampleEvent("job.created");
      const res = await post(
        { events: [play, click, job] },
        {
          "user-agent":
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
        },
      );
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({
        accepted: 2,
        rejected: 1,
        results: [
          { ok: true, event_id: play.event_id },
          { ok: true },
          { ok: false, errors: [{ pointer: "/event_type", reason: "server_only" }] },
        ],
      });

      const [p] = await drain(h.bus, [TOPICS.playback], 1);
      expect(p!.key).toBe(play.view_id);
      expect(p!.headers.schema_version).toBe("1.0");
      const stored = decode(p!);
      expect(stored.app_id).toBe("shop");
      expect(stored.received_at).not.toBe("2020-01-01T00:00:00.000Z");
      expect(Date.now() - Date.parse(String(stored.received_at))).toBeLessThan(10_000);
      expect(stored.client).toEqual({ ip: "203.0.113.0" });
      expect(stored.user_agent).toMatchObject({ name: "Chrome", os_name: "Linux" });
      // Job events are made by the pipeline, never by a write key: nothing reached the job topic.
      expect(await drain(h.bus, [TOPICS.job], 1, 2000)).toHaveLength(0);
      expect((await drain(h.bus, [TOPICS.click], 1))[0]!.key).toBe(click.view_id);
    });

    it("refuses playback.delivery from a write key (server-made from CDN logs) and keeps the other events of the batch", async () => {
      const delivery = exampleEvent("playback.delivery");
      const play = exampleEvent("playback.play");
      const res = await post({ events: [delivery, play] });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({
        accepted: 1,
        rejected: 1,
        results: [{ ok: false, errors: [{ pointer: "/event_type", reason: "server_only" }] }, { ok: true }],
      });
      expect(res.json().results[0].errors[0].message).toMatch(/CDN logs/);
      const published = await drain(h.bus, [TOPICS.playback], 2, 2000);
      expect(published.map((m) => decode(m).event_type)).toEqual(["playback.play"]);
    });

    it("takes a bare array, text/plain with ?key= (sendBeacon) and gzip bodies", async () => {
      expect((await post([exampleEvent("playback.pause")])).statusCode).toBe(200);
      const beacon = await h.app.inject({
        method: "POST",
        url: `/v1/events?key=${WRITE_KEY}`,
        headers: { "content-type": "text/plain;charset=UTF-8", origin: ORIGIN },
        payload: JSON.stringify({ events: [exampleEvent("playback.view_end")] }),
      });
      expect(beacon.statusCode, beacon.body).toBe(200);
      const zipped = await post(gzip({ events: [exampleEvent("playback.heartbeat")] }), { "content-encoding": "gzip" });
      expect(zipped.statusCode, zipped.body).toBe(200);
      expect(await drain(h.bus, [TOPICS.playback], 3)).toHaveLength(3);
    });

    it("answers per event in a mixed batch and dead-letters the invalid one with its reason and payload", async () => {
      const good = exampleEvent("playback.playing");
      const bad = { ...exampleEvent("playback.seek_end"), latency_ms: "slow" };
      const res = await post({ events: [good, bad] });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ accepted: 1, rejected: 1 });
      expect(body.results[1]).toMatchObject({ index: 1, ok: false, event_id: bad.event_id });
      expect(body.results[1].errors).toContainEqual(
        expect.objectContaining({ pointer: "/latency_ms", reason: "type" }),
      );
      const [letter] = await drain(h.bus, [TOPICS.deadLetter], 1);
      expect(decode(letter!)).toMatchObject({
        stage: "ingest",
        reason: "type",
        app_id: "shop",
        event_id: bad.event_id,
        payload: { latency_ms: "slow" },
      });
      expect(validateDeadLetter(decode(letter!))).toEqual([]);
    });
  });

  describe("POST /v1/events: refused with a clear error", () => {
    const cases: [
      string,
      () => Promise<{ statusCode: number; json(): { error: { code: string; message: string } } }>,
      number,
      string,
    ][] = [
      ["malformed JSON", () => post("{nope"), 400, "REELTIME_ERR_JSON"],
      [
        "wrong content type",
        () => post("<xml/>", { "content-type": "application/xml" }),
        415,
        "REELTIME_ERR_MEDIA_TYPE",
      ],
      ["unsupported encoding", () => post("x", { "content-encoding": "br" }), 415, "REELTIME_ERR_MEDIA_TYPE"],
      [
        "corrupt gzip",
        () => post(Buffer.from("not gzip at all"), { "content-encoding": "gzip" }),
        400,
        "REELTIME_ERR_BODY",
      ],
      ["no key", () => post([exampleEvent("click")], { "x-reeltime-key": "" }), 401, "REELTIME_ERR_AUTH"],
      [
        "bad key",
        () => post([exampleEvent("click")], { "x-reeltime-key": "wk_wrong_0123456789abcdef" }),
        401,
        "REELTIME_ERR_AUTH",
      ],
      [
        "origin not allowed",
        () => post([exampleEvent("click")], { origin: "https://evil.example" }),
        403,
        "REELTIME_ERR_CORS",
      ],
      [
        "app without origins",
        () => post([exampleEvent("click")], { origin: ORIGIN, "x-reeltime-key": OTHER_KEY }),
        403,
        "REELTIME_ERR_CORS",
      ],
      ["not a batch", () => post({ hello: 1 }), 400, "REELTIME_ERR_SCHEMA"],
      ["empty batch", () => post([]), 400, "REELTIME_ERR_SCHEMA"],
      [
        "unknown type only",
        () => post([{ ...exampleEvent("click"), event_type: "click.double" }]),
        400,
        "REELTIME_ERR_SCHEMA",
      ],
    ];
    it.each(cases)("%s", async (_name, send, status, code) => {
      const res = await send();
      expect(res.statusCode).toBe(status);
      expect(res.json().error.code).toBe(code);
      expect(res.json().error.message.length).toBeGreaterThan(10);
    });

    it("a body over the limit is 413, also when it only grows past it once decompressed", async () => {
      const huge = "x".repeat(1_100_000);
      expect((await post(huge)).statusCode).toBe(413);
      const bomb = gzip({ events: [{ pad: "y".repeat(2_000_000) }] });
      expect(bomb.length).toBeLessThan(10_000);
      const res = await post(bomb, { "content-encoding": "gzip" });
      expect(res.statusCode).toBe(413);
      expect(res.json().error.code).toBe("REELTIME_ERR_TOO_LARGE");
    });

    it("a body that is no batch is dead-lettered once, its JSON text as the payload, as a record of the contract", async () => {
      expect((await post({ hello: 1 })).statusCode).toBe(400);
      const [m] = await drain(h.bus, [TOPICS.deadLetter], 1);
      const letter = decode(m!);
      expect(letter).toMatchObject({ stage: "ingest", app_id: "shop", payload: '{"hello":1}' });
      expect(m!.key).toBe("shop");
      expect(validateDeadLetter(letter)).toEqual([]);
    });

    it("an all-invalid batch names every problem of every event", async () => {
      const res = await post([
        { ...exampleEvent("click"), seq: -1 },
        { ...exampleEvent("playback.play"), player: {} },
      ]);
      expect(res.statusCode).toBe(400);
      const body = res.json();
      expect(body.error.code).toBe("REELTIME_ERR_SCHEMA");
      expect(body.results[0].errors).toContainEqual(expect.objectContaining({ pointer: "/seq", reason: "range" }));
      expect(body.results[1].errors).toContainEqual(
        expect.objectContaining({ pointer: "/player/name", reason: "required" }),
      );
      const letters = await drain(h.bus, [TOPICS.deadLetter], 2);
      expect(letters).toHaveLength(2);
      // Each is a dead-letter record of the contract.
      for (const l of letters) expect(validateDeadLetter(decode(l))).toEqual([]);
    });

    it("each schema violation is reported with its pointer", async () => {
      const base = exampleEvent("playback.rebuffer_end");
      const violations: [Record<string, unknown>, string, string][] = [
        [{ event_id: "nope" }, "/event_id", "pattern"],
        [{ view_id: undefined }, "/view_id", "required"],
        [{ extra: 1 }, "/extra", "unknown_field"],
        [{ duration_ms: -1 }, "/duration_ms", "range"],
        [{ video: { id: "v", title: "t".repeat(300) } }, "/video/title", "too_long"],
        [{ client_ts: "2999-01-01T00:00:00Z" }, "/client_ts", "timestamp_future"],
        [{ attributes: JSON.parse('{"__proto__": {"x": 1}}') }, "/attributes/__proto__", "forbidden_key"],
      ];
      for (const [patch, pointer, reason] of violations) {
        const res = await post([{ ...base, ...patch }]);
        expect(res.statusCode, JSON.stringify(patch)).toBe(400);
        expect(res.json().results[0].errors).toContainEqual(expect.objectContaining({ pointer, reason }));
      }
    });
  });

  describe("CORS", () => {
    it("answers the preflight for an allowed origin and not for others", async () => {
      const ok = await h.app.inject({
        method: "OPTIONS",
        url: "/v1/events",
        headers: {
          origin: ORIGIN,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type,x-reeltime-key",
        },
      });
      expect(ok.statusCode).toBe(204);
      expect(ok.headers["access-control-allow-origin"]).toBe(ORIGIN);
      const denied = await h.app.inject({
        method: "OPTIONS",
        url: "/v1/events",
        headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
      });
      expect(denied.headers["access-control-allow-origin"]).toBeUndefined();
      // A clear refusal in the error shape, naming the origin and the setting (it was a 404
      // "no route OPTIONS /v1/events").
      expect(denied.statusCode).toBe(403);
      expect(denied.json()).toEqual({
        error: {
          code: "REELTIME_ERR_CORS",
          message:
            "origin https://evil.example is not allowed by any app; add it to REELTIME_CORS_ORIGINS as app=https://evil.example",
        },
      });
    });

    it("an OPTIONS request that is not a preflight is not mistaken for one", async () => {
      const res = await h.app.inject({
        method: "OPTIONS",
        url: "/v1/events",
        headers: { origin: "https://evil.example" },
      });
      expect(res.statusCode).not.toBe(403);
    });

    it("lets a browser page read Retry-After on a 503 (exposed to allowed origins)", async () => {
      h.bus.down = true;
      const res = await post([exampleEvent("playback.play")], { origin: ORIGIN });
      expect(res.statusCode).toBe(503);
      expect(res.headers["access-control-allow-origin"]).toBe(ORIGIN);
      expect(String(res.headers["retry-after"])).toBe("5");
      expect(
        String(res.headers["access-control-expose-headers"])
          .toLowerCase()
          .split(/\s*,\s*/),
      ).toContain("retry-after");
    });
  });

  describe("text a store downstream cannot hold", () => {
    it("a lone surrogate becomes U+FFFD; NUL and bidi marks are kept", async () => {
      const e = { ...exampleEvent("click"), attributes: { note: "a\u0000b\u202ec" } };
      const text = JSON.stringify({ events: [e] })
        .replace(JSON.stringify(e.page.url).slice(1, -1), "https://shop.example/\\ud800x")
        .replace('"a\\u0000b', '"\\udc00a\\u0000b');
      const res = await post(text);
      expect(res.statusCode, res.body).toBe(200);
      const [m] = await drain(h.bus, [TOPICS.click], 1);
      const stored = decode(m!) as { page: { url: string }; attributes: Record<string, string> };
      expect(stored.page.url).toBe("https://shop.example/\ufffdx");
      expect(stored.attributes).toEqual({ note: "\ufffda\u0000b\u202ec" });
    });

    for (const levels of [5000, 500_000])
      it(`a ${levels.toLocaleString("en")}-level body is refused with a reason and dead-lettered as a bounded preview`, async () => {
        const body = `{"events":[${"[".repeat(levels)}${"]".repeat(levels)}]}`;
        const res = await post(body);
        expect(res.statusCode, res.body).toBe(400);
        const [m] = await drain(h.bus, [TOPICS.deadLetter], 1);
        const letter = decode(m!) as { stage: string; payload: { truncated: boolean; why: string; text: string } };
        expect(letter.stage).toBe("ingest");
        expect(letter.payload.truncated).toBe(true);
        expect(letter.payload.why).toBe("nested deeper than 16 levels");
        expect(letter.payload.text.length).toBeLessThanOrEqual(64 * 1024);
        expect(res.json()).toMatchObject({ error: { code: "REELTIME_ERR_SCHEMA" }, accepted: 0, rejected: 1 });
        // The start of the refused event's JSON text, written without recursion.
        expect(letter.payload.text).toBe(`${"[".repeat(levels)}${"]".repeat(levels)}`.slice(0, 64 * 1024));
        // What a store or the dead-letter processor does with it next cannot overflow.
        expect(() => structuredClone(letter)).not.toThrow();
      });

    it("a body in another charset is refused with a 415 that says to send UTF-8", async () => {
      const res = await post(JSON.stringify({ events: [exampleEvent("click")] }), {
        "content-type": "application/json; charset=iso-8859-1",
      });
      expect(res.statusCode).toBe(415);
      expect(res.json()).toEqual({
        error: {
          code: "REELTIME_ERR_MEDIA_TYPE",
          message: 'charset "iso-8859-1" is not supported; send UTF-8 (Content-Type: application/json; charset=utf-8)',
        },
      });
      const ok = await post(JSON.stringify({ events: [exampleEvent("click")] }), {
        "content-type": "application/json; charset=UTF-8",
      });
      expect(ok.statusCode).toBe(200);
    });
  });

  describe("requests Node's parser refuses", () => {
    async function raw(request: string): Promise<string> {
      const { connect } = await import("node:net");
      await h.app.listen({ port: 0, host: "127.0.0.1" });
      const port = (h.app.server.address() as { port: number }).port;
      return new Promise((resolve, reject) => {
        let got = "";
        const socket = connect(port, "127.0.0.1", () => socket.write(request));
        socket.on("data", (d) => {
          got += d;
        });
        socket.on("end", () => resolve(got));
        socket.on("error", reject);
      });
    }
    const bodyOf = (response: string) => JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4));

    it("an oversized header gets a 431 in the project's error shape", async () => {
      const res = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
      expect(res.startsWith("HTTP/1.1 431 ")).toBe(true);
      expect(bodyOf(res)).toEqual({
        error: {
          code: "REELTIME_ERR_HEADERS_TOO_LARGE",
          message:
            "the request headers exceed the server's limit (16 KB in total); send fewer or shorter headers and cookies",
        },
      });
    });

    it("a malformed request line gets a 400 in the project's error shape", async () => {
      const res = await raw("NOT HTTP AT ALL\r\n\r\n");
      expect(res.startsWith("HTTP/1.1 400 ")).toBe(true);
      expect(bodyOf(res).error.code).toBe("REELTIME_ERR_BODY");
    });
  });

  describe("rate limits", () => {
    it("429 with Retry-After once a key spends its budget", async () => {
      await h.close();
      h = await harness({ REELTIME_INGEST_WORKERS: workers, REELTIME_RATE_LIMIT_PER_KEY: "3" });
      for (let i = 0; i < 3; i++) expect((await post([exampleEvent("click")])).statusCode).toBe(200);
      const res = await post([exampleEvent("click")]);
      expect(res.statusCode).toBe(429);
      expect(res.json().error.code).toBe("REELTIME_ERR_RATE_LIMITED");
      expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    });

    it("429 per client address", async () => {
      await h.close();
      h = await harness({ REELTIME_INGEST_WORKERS: workers, REELTIME_RATE_LIMIT_PER_IP: "2" });
      await post([exampleEvent("click")]);
      await post([exampleEvent("click")], { "x-reeltime-key": OTHER_KEY });
      const res = await post([exampleEvent("click")], { "x-reeltime-key": OTHER_KEY });
      expect(res.statusCode).toBe(429);
    });
  });

  describe("records on the bus", () => {
    /** The first `count` records of the playback topic, as records (not split into events). */
    async function records(count: number) {
      const got: { key: string; headers: Record<string, string>; events: { event_id: string }[] }[] = [];
      const sub = await h.bus.consume({
        group: `raw-${Math.random().toString(36).slice(2)}`,
        topics: [TOPICS.playback],
        handler: async (b) => {
          for (const m of b.messages) {
            const v = JSON.parse(new TextDecoder().decode(m.value)) as { event_id: string } | { event_id: string }[];
            got.push({ key: m.key, headers: m.headers, events: Array.isArray(v) ? v : [v] });
          }
        },
      });
      for (let i = 0; i < 300 && got.length < count; i++) await new Promise((r) => setTimeout(r, 20));
      await sub.stop();
      return got;
    }

    const view = (id: string, n: number) =>
      Array.from({ length: n }, (_, seq) => ({ ...exampleEvent("playback.heartbeat"), view_id: id, seq }));

    it("one batch-v1 record per view per request, its events in order (the default)", async () => {
      const a = view("view-a", 3);
      const b = view("view-b", 2);
      expect((await post([a[0], b[0], a[1], b[1], a[2]])).statusCode).toBe(200);
      const got = await records(2);
      expect(got.map((r) => [r.key, r.events.map((e) => e.event_id)]).sort()).toEqual(
        [
          ["view-a", a.map((e) => e.event_id)],
          ["view-b", b.map((e) => e.event_id)],
        ].sort(),
      );
      for (const r of got) expect(r.headers).toMatchObject({ "reeltime-format": "batch-v1", schema_version: "1.0" });
    });

    it("one record per event with REELTIME_BUS_RECORD_FORMAT=event, for consumers older than batch-v1", async () => {
      await h.close();
      h = await harness({ REELTIME_INGEST_WORKERS: workers, REELTIME_BUS_RECORD_FORMAT: "event" });
      const a = view("view-a", 3);
      expect((await post(a)).statusCode).toBe(200);
      const got = await records(3);
      expect(got.map((r) => r.events.map((e) => e.event_id))).toEqual(a.map((e) => [e.event_id]));
      for (const r of got) expect(r.headers["reeltime-format"]).toBeUndefined();
    });
  });

  describe("bus down", () => {
    it("answers 503 with Retry-After, writes nothing, and recovers", async () => {
      h.bus.down = true;
      const lost = exampleEvent("playback.play");
      const res = await post([lost, { ...exampleEvent("click"), seq: "bad" }]);
      expect(res.statusCode).toBe(503);
      expect(res.headers["retry-after"]).toBe("5");
      expect(res.json().error.code).toBe("REELTIME_ERR_BUS_UNAVAILABLE");
      const ready = await h.app.inject({ method: "GET", url: "/readyz" });
      expect(ready.statusCode).toBe(503);
      h.bus.down = false;
      const again = exampleEvent("playback.pause");
      expect((await post([again])).statusCode).toBe(200);
      const got = (await drain(h.bus, [TOPICS.playback], 1, 3000)).map((m) => decode(m).event_id);
      expect(got).toEqual([again.event_id]);
    });
  });

  describe("api records", () => {
    it("every call becomes an api.request event with app, route, status and counts", async () => {
      await post([exampleEvent("click"), { ...exampleEvent("click"), seq: -1 }]);
      await post([exampleEvent("click")], { "x-reeltime-key": "wk_wrong_0123456789abcdef" });
      await post("{nope");
      await h.app.close(); // flushes the buffered records
      // Two apps' records: one partition each, so ordered by status here.
      const status = (r: Record<string, unknown>) => (r.api as { status: number }).status;
      const records = (await drain(h.bus, [TOPICS.api], 3)).map(decode).sort((a, b) => status(a) - status(b));
      expect(records.map((r) => [r.app_id, status(r)])).toEqual([
        ["shop", 200],
        ["shop", 400],
        ["unknown", 401],
      ]);
      expect(records[0]!.api).toMatchObject({ route: "/v1/events", method: "POST", accepted: 1, rejected: 1 });
      // A body that is not JSON is the key's app's call, with the reason.
      expect(records[1]!.api).toMatchObject({ error_code: "REELTIME_ERR_JSON", accepted: 0 });
      expect(JSON.stringify(records)).not.toContain(WRITE_KEY);
    });
  });
});
