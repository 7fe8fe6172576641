import { type Bus, type BusMessage, MAX_MESSAGE_BYTES, splitRecord } from "@reeltime/connectors";
import { TOPICS } from "@reeltime/events";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { apiRecorder, noteCall } from "../../src/plugins/api-record.ts";

/** Keeps what was published, per topic, one entry per event (batch records split as a consumer splits them). */
function recordingBus() {
  const published: { topic: string; value: Record<string, unknown> }[] = [];
  const bus = {
    maxMessageBytes: MAX_MESSAGE_BYTES,
    publish: async (topic: string, messages: BusMessage[]) => {
      for (const [i, m] of messages.entries()) {
        const content = splitRecord({ topic, partition: "0", offset: String(i), timestamp: 0, headers: {}, ...m });
        if (!("messages" in content)) throw new Error(content.unreadable.message);
        for (const e of content.messages)
          published.push({ topic, value: JSON.parse(new TextDecoder().decode(e.value)) });
      }
    },
  } as unknown as Bus;
  return { bus, published };
}

/** Stands in for the prom-client counter of unpublished records. */
function counter() {
  const c = {
    count: 0,
    inc(n = 1) {
      c.count += n;
    },
  };
  return c;
}

describe("apiRecorder (fastify-plugin)", () => {
  it("is not encapsulated: it records the routes of sibling plugins too", async () => {
    const { bus, published } = recordingBus();
    const errors = counter();
    const app = Fastify();
    // Without fastify-plugin, register() would give the recorder a context of its own: its hooks
    // and the request decoration would stay there, and the routes of this sibling plugin would
    // go unrecorded.
    await app.register(apiRecorder, { bus, publishTimeoutMs: 1000, errors });
    await app.register(async (api) => {
      api.post("/v1/events", async (req) => {
        noteCall(req, { app: "shop", keyId: "k_1", accepted: 3, rejected: 1 });
        return { ok: true };
      });
      api.get("/healthz", async () => ({ ok: true }));
    });
    await app.ready();
    expect(app.hasRequestDecorator("reeltime")).toBe(true);

    expect((await app.inject({ method: "POST", url: "/v1/events", payload: {} })).statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    await app.close(); // flushes the buffer

    expect(published.map((p) => p.topic)).toEqual([TOPICS.api]);
    expect(published[0]!.value).toMatchObject({
      event_type: "api.request",
      app_id: "shop",
      api: { route: "/v1/events", method: "POST", status: 200, accepted: 3, rejected: 1, key_id: "k_1" },
    });
    expect(errors.count).toBe(0);
  });

  it("is named, and counts the records it could not publish", async () => {
    const bus = {
      publish: async () => {
        throw new Error("bus down");
      },
    } as unknown as Bus;
    const errors = counter();
    const app = Fastify({ logger: false });
    await app.register(apiRecorder, { bus, publishTimeoutMs: 1000, errors });
    app.get("/v1/search", async () => ({ hits: [] }));
    await app.ready();
    expect(app.hasPlugin("reeltime-api-recorder")).toBe(true);
    await app.inject({ method: "GET", url: "/v1/search" });
    await app.inject({ method: "GET", url: "/v1/search" });
    await app.close();
    expect(errors.count).toBe(2);
  });
});
