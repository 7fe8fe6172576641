import {
  CMCD_EVENT_TYPES,
  CMCD_KEYS,
  CMCD_LIMITS,
  CMCD_OBJECT_TYPES,
  CMCD_PLAYER_STATES,
  CMCD_STREAM_TYPES,
  CMCD_STREAMING_FORMATS,
  TOPICS,
  validateEvent,
  warmUpValidators,
} from "@reeltime/events";
import {
  CMCD_EVENT_KEYS,
  CMCD_RESPONSE_KEYS,
  CmcdEventType,
  CmcdObjectType,
  CmcdPlayerState,
  CmcdReporter,
  CmcdStreamingFormat,
  CmcdStreamType,
  decodeCmcd,
  encodeCmcd,
  CMCD_KEYS as LIBRARY_KEYS,
  toCmcdValue,
} from "@svta/cml-cmcd";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cmcdToEvent, decodeCmcdBody } from "../src/cmcd.ts";
import { decode, drain, type Harness, harness, WRITE_KEY } from "./helpers.ts";

const CUSTOM = "com.example-x";

// Compiling the contract's validators is the slow part of the first validation: not under test.
beforeAll(() => warmUpValidators(), 60_000);

/**
 * Five reports exactly as hls.js posts them: its own CMCD library's reporter, fed the player's
 * state, captured at the transport (one `application/cmcd` body, one report per line).
 */
async function reporterBody(sid = "view-cmcd-1"): Promise<string> {
  const bodies: string[] = [];
  const reporter = new CmcdReporter(
    {
      sid,
      cid: "vid-1",
      version: 2,
      eventTargets: [
        {
          url: "https://collect.test/v1/cmcd",
          events: ["ps", "e", "bc"],
          batchSize: 5,
          enabledKeys: [...LIBRARY_KEYS, CUSTOM],
        },
      ],
    },
    async (req) => {
      bodies.push(String(req.body));
      return { status: 204 } as never;
    },
  );
  reporter.start();
  reporter.update({ br: [3000], tb: [6000], bl: [12000], mtp: [25400], [CUSTOM]: "hello", sf: "h", st: "v", pt: 1500 });
  reporter.recordEvent("ps", { sta: "s" });
  reporter.recordEvent("ps", { sta: "p" });
  reporter.recordEvent("bc", { br: [4500] });
  reporter.recordEvent("e", { ec: ["MEDIA_ERR_DECODE"] });
  reporter.recordEvent("ps", { sta: "e" });
  await new Promise((r) => setTimeout(r, 20));
  reporter.stop();
  expect(bodies).toHaveLength(1);
  return bodies[0]!;
}

describe("decoding CMCD v2 reports with @svta/cml-cmcd", () => {
  it("keeps numbers as numbers, inner lists as arrays of numbers and custom keys (text form)", async () => {
    const body = await reporterBody();
    const decoded = decodeCmcdBody(body);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.reports.map((r) => r.ok)).toEqual([true, true, true, true, true]);
    const events = decoded.reports.map((r) => (r.ok ? cmcdToEvent(r.data, Date.now()) : undefined));
    const error = events.find((e) => e?.cmcd.e === "e")!;
    expect(error.cmcd).toMatchObject({
      br: [4500],
      tb: [6000],
      bl: [12000],
      mtp: [25400],
      ec: ["MEDIA_ERR_DECODE"],
      pt: 1500,
      v: 2,
      sf: "h",
      sid: "view-cmcd-1",
    });
    expect(typeof error.cmcd.ts).toBe("number");
    expect(error.cmcd_custom).toEqual({ [CUSTOM]: "hello" });
    expect(error).toMatchObject({ view_id: "view-cmcd-1", session_id: "view-cmcd-1", video: { id: "vid-1" } });
    expect(events.map((e) => e!.seq)).toEqual([0, 1, 2, 3, 4]);
    for (const e of events) expect(validateEvent(e).ok, JSON.stringify(validateEvent(e))).toBe(true);
  });

  it("reads the same reports as JSON objects", async () => {
    const lines = (await reporterBody()).split("\n");
    const json = lines.map((l) => decodeCmcd(l));
    const fromJson = decodeCmcdBody(JSON.parse(JSON.stringify(json)));
    const fromText = decodeCmcdBody(lines.join("\n"));
    expect(fromJson.ok && fromText.ok).toBe(true);
    if (!fromJson.ok || !fromText.ok) return;
    const now = Date.now();
    const a = fromJson.reports.map((r) => (r.ok ? cmcdToEvent(r.data, now) : r));
    const b = fromText.reports.map((r) => (r.ok ? cmcdToEvent(r.data, now) : r));
    expect(a).toEqual(b);
    expect(a[0]).toMatchObject({ cmcd: { br: [3000] } });
  });

  it("keeps the object type of each inner-list item beside the numbers", () => {
    const line = encodeCmcd(
      {
        v: 2,
        e: "t",
        ts: Date.now(),
        sid: "view-2",
        br: [toCmcdValue(3000, { v: true }), toCmcdValue(128, { a: true })],
      },
      { version: 2, reportingMode: "event" },
    );
    expect(line).toContain("br=(3000;v 128;a)");
    const d = decodeCmcdBody(line);
    if (!d.ok || !d.reports[0]!.ok) throw new Error(JSON.stringify(d));
    const e = cmcdToEvent(d.reports[0]!.data, Date.now());
    expect(e.cmcd.br).toEqual([3000, 128]);
    expect(e.cmcd_types).toEqual({ br: ["v", "a"] });
    expect(validateEvent(e).ok).toBe(true);
  });

  it("refuses a bad line alone, tolerates CRLF and a trailing line feed", () => {
    const ts = Date.now();
    const good = encodeCmcd({ v: 2, e: "ps", sta: "p", ts, sid: "v-3" }, { version: 2, reportingMode: "event" });
    const d = decodeCmcdBody(`${good}\r\nthis is not cmcd!\r\n${good}\n`);
    if (!d.ok) throw new Error(d.message);
    expect(d.reports.map((r) => r.ok)).toEqual([true, false, true]);
    const bad = d.reports[1]!;
    expect(!bad.ok && bad.errors[0]!.reason).toBe("cmcd_syntax");
    const noState = decodeCmcdBody(`v=2,e=ps,ts=${ts}`);
    expect(noState.ok && !noState.reports[0]!.ok && noState.reports[0]!.errors[0]).toMatchObject({
      pointer: "/cmcd/sta",
      reason: "cmcd_invalid",
    });
    expect(decodeCmcdBody(42)).toMatchObject({ ok: false });
  });

  it("the contract's CMCD tokens and keys match the library's", () => {
    expect([...CMCD_OBJECT_TYPES].sort()).toEqual(Object.values(CmcdObjectType).sort());
    expect([...CMCD_PLAYER_STATES].sort()).toEqual(Object.values(CmcdPlayerState).sort());
    expect([...CMCD_STREAM_TYPES].sort()).toEqual(Object.values(CmcdStreamType).sort());
    // The spec also lists e=h (hostname changed) and sf=e (HESP), which this library version lacks.
    expect(CMCD_EVENT_TYPES.filter((t) => !(Object.values(CmcdEventType) as string[]).includes(t))).toEqual(["h"]);
    for (const t of Object.values(CmcdEventType)) expect(CMCD_EVENT_TYPES).toContain(t);
    for (const f of Object.values(CmcdStreamingFormat)) expect(CMCD_STREAMING_FORMATS).toContain(f);
    const v2 = [...LIBRARY_KEYS, ...CMCD_EVENT_KEYS, ...CMCD_RESPONSE_KEYS].filter((k) => k !== "nrr");
    for (const k of v2) expect(CMCD_KEYS, k).toContain(k);
  });
});

describe("POST /v1/cmcd", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(() => h.close());

  const post = (body: string, contentType: string) =>
    h.app.inject({
      method: "POST",
      url: `/v1/cmcd?key=${WRITE_KEY}`,
      headers: { "content-type": contentType },
      payload: body,
    });

  it("stores hls.js's application/cmcd body with numbers, lists and custom keys intact", async () => {
    const res = await post(await reporterBody("view-cmcd-9"), "application/cmcd");
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ accepted: 5, rejected: 0 });
    const events = (await drain(h.bus, [TOPICS.playback], 5)).map(decode);
    expect(events.map((e) => e.view_id)).toEqual(Array(5).fill("view-cmcd-9"));
    const err = events.find((e) => (e.cmcd as { e: string }).e === "e")!;
    expect(err.cmcd).toMatchObject({ br: [4500], tb: [6000], bl: [12000], mtp: [25400], ec: ["MEDIA_ERR_DECODE"] });
    expect(err.cmcd_custom).toEqual({ [CUSTOM]: "hello" });
    expect(err.playhead_ms).toBe(1500);
    // The same body again maps to the same event ids: the store drops the duplicates.
    const again = await post(await reporterBody("view-cmcd-9"), "application/cmcd");
    expect(again.json().results.map((r: { ok: boolean }) => r.ok)).toEqual(Array(5).fill(true));
  });

  it("takes the same reports as JSON", async () => {
    const json = (await reporterBody("view-json")).split("\n").map((l) => decodeCmcd(l));
    const res = await post(JSON.stringify(json), "application/json");
    expect(res.statusCode, res.body).toBe(200);
    const events = (await drain(h.bus, [TOPICS.playback], 5)).map(decode);
    expect(events[0]!.cmcd).toMatchObject({ br: [3000], mtp: [25400] });
    expect(events[0]!.cmcd_custom).toEqual({ [CUSTOM]: "hello" });
  });

  it("one bad report among five refuses only itself, with its index and reason", async () => {
    const lines = (await reporterBody("view-mixed")).split("\n");
    lines[2] = lines[2]!.replace("br=(3000)", 'br=("fast")');
    const res = await post(lines.join("\n"), "application/cmcd");
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ accepted: 4, rejected: 1 });
    expect(body.results.map((r: { ok: boolean }) => r.ok)).toEqual([true, true, false, true, true]);
    expect(body.results[2]).toMatchObject({ index: 2, errors: [{ pointer: "/cmcd/br", reason: "cmcd_invalid" }] });
    const events = (await drain(h.bus, [TOPICS.playback], 4)).map(decode);
    expect(events.map((e) => e.seq).sort()).toEqual([0, 1, 3, 4]);
  });

  it("bounds custom keys: a report over the cap is refused by the contract, alone", async () => {
    const ts = Date.now();
    const many = Object.fromEntries(
      Array.from({ length: CMCD_LIMITS.customKeys + 1 }, (_, i) => [`com.example-k${i}`, `v${i}`]),
    );
    const over = encodeCmcd({ v: 2, e: "t", ts, sid: "view-cap", ...many }, { version: 2, reportingMode: "event" });
    const ok = encodeCmcd({ v: 2, e: "t", ts, sid: "view-cap", [CUSTOM]: "x" }, { version: 2, reportingMode: "event" });
    const res = await post(`${over}\n${ok}`, "application/cmcd");
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ accepted: 1, rejected: 1, results: [{ ok: false }, { ok: true }] });
    expect(JSON.stringify(res.json().results[0].errors)).toContain("cmcd_custom");
  });

  it("refuses a body that holds no CMCD in the API's error shape", async () => {
    const res = await post("this is not cmcd!", "application/cmcd");
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: { code: "REELTIME_ERR_SCHEMA" },
      accepted: 0,
      rejected: 1,
      results: [{ index: 0, ok: false, errors: [{ reason: "cmcd_syntax" }] }],
    });
    const empty = await post("\n\n", "application/cmcd");
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.code).toBe("REELTIME_ERR_BODY");
  });
});
