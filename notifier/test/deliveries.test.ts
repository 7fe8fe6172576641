// The notifier end to end on one machine: the embedded bus, PGlite in memory, a real webhook
// receiver on 127.0.0.1 (development mode: the SSRF guard is off) and a real SMTP server.
import type { AddressInfo } from "node:net";
import type { Bus } from "@reeltime/connectors";
import type { Database } from "@reeltime/database";
import { type NotificationEvent, TOPICS, validateDeadLetter, validateEvent } from "@reeltime/events";
import { runProcessor } from "@reeltime/processing";
import { createRegistry } from "@reeltime/runtime";
import Fastify from "fastify";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { endpointsPlugin } from "../src/endpoints-api.ts";
import { buildNotifier, startNotifier } from "../src/service.ts";
import { attemptsOf, claimDue, deliveryOf, insertDelivery, notificationId, resendNotification } from "../src/store.ts";
import { verifyWebhook } from "../src/webhooks/signing.ts";
import {
  embeddedBus,
  type Letter,
  log,
  memoryDb,
  metrics,
  publishJobEnd,
  readTopic,
  receiver,
  waitFor,
} from "./helpers.ts";

let db: Database;
let bus: Bus;
let closeBus: () => Promise<void>;
const stops: (() => Promise<unknown>)[] = [];

// PGlite starts in seconds on a busy machine: one database for the file, emptied before each test.
beforeAll(async () => {
  db = await memoryDb();
}, 120_000);
afterAll(() => db.close());
beforeEach(async () => {
  await db.query("TRUNCATE notifier_endpoints, notifier_deliveries, notifier_attempts");
  await db.query("DROP TABLE IF EXISTS videos");
  ({ bus, close: closeBus } = await embeddedBus());
}, 60_000);
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
  await closeBus();
});

/** Registers an endpoint through the API as an app's write key would, and returns its id and secret. */
async function register(app: string, url: string, guard = false): Promise<{ id: string; secret: string }> {
  const server = Fastify();
  await server.register(endpointsPlugin, { prefix: "/v1", db, appOf: () => app, guard });
  const res = await server.inject({ method: "POST", url: "/v1/webhooks/endpoints", payload: { url } });
  await server.close();
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string; secret: string };
}

describe("webhooks", () => {
  it("a receiver answering 500 for a while, then 200: one delivery succeeds, every attempt is logged and published, every call verifies", async () => {
    const hook = await receiver((n) => (n <= 3 ? 500 : 200));
    stops.push(hook.close);
    const ep = await register("acme", hook.url);
    const registry = createRegistry("notifier-test");
    const notifier = await startNotifier(
      { db, bus, log, metrics: metrics(), registry },
      {},
      { baseMs: 20, capMs: 100, pollMs: 10 },
    );
    stops.push(notifier.stop);

    await publishJobEnd(bus, { type: "job.completed", app: "acme", video: "vid-1", title: "Holiday" });
    await waitFor("a 200 answer", () => hook.requests.some((r) => r.status === 200));
    const id = notificationId("acme", "vid-1", "video.ready", "webhook", ep.id);

    // Four calls, all with the same idempotency key, each signed over its own timestamp.
    expect(hook.requests.map((r) => r.status)).toEqual([500, 500, 500, 200]);
    for (const r of hook.requests) {
      expect(r.headers["webhook-id"]).toBe(id);
      expect(verifyWebhook(ep.secret, r.headers, r.body)).toMatchObject({ ok: true, id });
      expect(verifyWebhook("whsec_wrong", r.headers, r.body).ok).toBe(false);
    }
    const body = JSON.parse(hook.requests[3]!.body);
    expect(body).toMatchObject({
      id,
      type: "video.ready",
      app_id: "acme",
      data: { video_id: "vid-1", title: "Holiday", status: "ready", job_id: "job-vid-1" },
    });

    // The delivery log: three failures with their status and next attempt, then the success.
    await waitFor("the delivery marked delivered", async () => (await deliveryOf(db, id))?.state === "delivered");
    const log4 = await attemptsOf(db, id);
    expect(log4.map((a) => [a.attempt, a.outcome, a.status_code])).toEqual([
      [1, "failed", 500],
      [2, "failed", 500],
      [3, "failed", 500],
      [4, "sent", 200],
    ]);
    for (const a of log4) expect(a.latency_ms).toBeGreaterThanOrEqual(0);
    for (const a of log4.slice(0, 3)) {
      expect(a.next_attempt_at).toBeGreaterThanOrEqual(a.at);
      expect(a).toMatchObject({
        error_code: "REELTIME_ERR_WEBHOOK_STATUS",
        error_message: "the endpoint answered 500",
      });
    }

    const counted = (await registry.getSingleMetric("reeltime_notifier_attempts_total")!.get()).values;
    expect(counted.map((v) => [v.labels.outcome, v.value]).sort()).toEqual([
      ["failed", 3],
      ["sent", 1],
    ]);

    // Each attempt is a notification.* event of the contract.
    const events = await readTopic<NotificationEvent>(bus, TOPICS.notification, (all) => all.length >= 4);
    expect(events.map((e) => [e.event_type, e.notification.attempt, e.notification.status_code])).toEqual([
      ["notification.failed", 1, 500],
      ["notification.failed", 2, 500],
      ["notification.failed", 3, 500],
      ["notification.sent", 4, 200],
    ]);
    for (const e of events) {
      expect(validateEvent(e).ok).toBe(true);
      expect(e).toMatchObject({ app_id: "acme", video: { id: "vid-1" }, notification: { id, channel: "webhook" } });
    }

    // The same job event again (a replay, a second worker's "ready"): nothing new is sent.
    await publishJobEnd(bus, { type: "job.completed", app: "acme", video: "vid-1" });
    await new Promise((r) => setTimeout(r, 300));
    expect(hook.requests).toHaveLength(4);

    // `reeltime replay` resends it: the same id again, a fifth attempt.
    expect(await resendNotification(db, id)).toBe(true);
    expect(await resendNotification(db, "ntf_nope")).toBe(false);
    notifier.loop.kick();
    await waitFor("the resent call", () => hook.requests.length === 5);
    expect(hook.requests[4]!.headers["webhook-id"]).toBe(id);
    await waitFor("attempt 5 logged", async () => (await attemptsOf(db, id)).length === 5);
  });

  it("gives up after the retry window (fake clock): notification.dead and a dead letter with the reason", async () => {
    const hook = await receiver(() => 503);
    stops.push(hook.close);
    const ep = await register("acme", hook.url);
    let now = Date.parse("2026-12-01T00:00:00Z");
    const notifier = await startNotifier(
      { db, bus, log, metrics: metrics() },
      {},
      // The real base (1 s) and cap (1 h), the largest jitter every time, a clock the test moves.
      { now: () => now, random: () => 0.999999, pollMs: 3_600_000 },
    );
    stops.push(notifier.stop);
    await publishJobEnd(bus, { type: "job.failed", app: "acme", video: "vid-2" });
    const id = notificationId("acme", "vid-2", "video.failed", "webhook", ep.id);
    await waitFor("the first attempt", async () => (await attemptsOf(db, id)).length === 1);

    const start = now;
    for (let i = 0; i < 200; i++) {
      await notifier.loop.flush();
      const d = await deliveryOf(db, id);
      if (d?.state !== "pending") break;
      now = new Date(d.next_attempt_at!).getTime();
      await notifier.loop.runOnce();
    }
    const d = await deliveryOf(db, id);
    expect(d?.state).toBe("dead");
    const attempts = await attemptsOf(db, id);
    // Exponential backoff capped at an hour: 1 s, 2 s … 2048 s, then hourly, and a last one at 24 h.
    const gaps = attempts.slice(1).map((a, i) => a.at - attempts[i]!.at);
    expect(gaps.slice(0, 12)).toEqual(
      [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048].map((s) => Math.floor(0.999999 * s * 1000)),
    );
    expect(Math.max(...gaps)).toBeLessThanOrEqual(3_600_000);
    expect(attempts.at(-1)).toMatchObject({ outcome: "dead", status_code: 503, at: start + 24 * 3600_000 });
    expect(attempts.filter((a) => a.outcome === "failed")).toHaveLength(attempts.length - 1);
    expect(hook.requests).toHaveLength(attempts.length);

    const events = await readTopic<NotificationEvent>(bus, TOPICS.notification, (all) =>
      all.some((e) => e.event_type === "notification.dead"),
    );
    const dead = events.filter((e) => e.event_type === "notification.dead");
    expect(dead).toHaveLength(1);
    expect(dead[0]!.notification).toMatchObject({ id, attempt: attempts.length, status_code: 503 });
    const letters = await readTopic<Letter>(bus, TOPICS.deadLetter, (all) => all.length >= 1);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      stage: "notifier",
      reason: "undeliverable",
      app_id: "acme",
      event_type: "notification.dead",
      payload: { notification_id: id, channel: "webhook", video_id: "vid-2", attempts: attempts.length },
    });
    expect(letters[0]!.message).toContain("answered 503");
    expect(validateDeadLetter(letters[0])).toEqual([]);
  });

  it("in production, a name that resolves to a private address at send time is refused, not called (rebinding)", async () => {
    const ep = await register("acme", "https://hooks.example.com/reeltime", true);
    const asked: string[] = [];
    const notifier = await startNotifier(
      { db, bus, log, metrics: metrics() },
      { REELTIME_ENV: "production" },
      {
        pollMs: 10,
        resolver: async (host) => {
          asked.push(host);
          return [{ address: "10.1.2.3", family: 4 }];
        },
      },
    );
    stops.push(notifier.stop);
    await publishJobEnd(bus, { type: "job.completed", app: "acme", video: "vid-3" });
    const id = notificationId("acme", "vid-3", "video.ready", "webhook", ep.id);
    await waitFor("the delivery given up", async () => (await deliveryOf(db, id))?.state === "dead");
    expect(asked).toEqual(["hooks.example.com"]);
    expect(await attemptsOf(db, id)).toMatchObject([
      { attempt: 1, outcome: "dead", status_code: 0, error_code: "REELTIME_ERR_WEBHOOK_TARGET" },
    ]);
    const letters = await readTopic<Letter>(bus, TOPICS.deadLetter, (all) => all.length >= 1);
    expect(letters[0]).toMatchObject({ reason: "webhook_target_refused" });
  });
});

describe("restarts", () => {
  it("a notifier killed after the job event was recorded (and committed) but before sending loses nothing", async () => {
    const hook = await receiver(() => 200);
    stops.push(hook.close);
    const ep = await register("acme", hook.url);
    const first = buildNotifier({ db, bus, log, metrics: metrics() }, {});
    await first.loop.shutdown(); // this one never sends: it dies before its loop runs
    const running = await runProcessor(first.processor, { bus, log, metrics: metrics() });
    await publishJobEnd(bus, { type: "job.completed", app: "acme", video: "vid-5" });
    const id = notificationId("acme", "vid-5", "video.ready", "webhook", ep.id);
    await waitFor("the notification recorded", async () => (await deliveryOf(db, id))?.state === "pending");
    await waitFor("the job event committed", async () => (await running.lag()).every((l) => l.lag === 0));
    await running.abandon();
    expect(hook.requests).toHaveLength(0);

    const second = await startNotifier({ db, bus, log, metrics: metrics() }, {}, { pollMs: 10 });
    stops.push(second.stop);
    await waitFor("the delivery", () => hook.requests.length === 1);
    expect(hook.requests[0]!.headers["webhook-id"]).toBe(id);
    await new Promise((r) => setTimeout(r, 300));
    expect(hook.requests).toHaveLength(1);
  });

  it("a notifier killed mid-send leaves its claim to expire; the same id is sent again (the receiver drops it by webhook-id)", async () => {
    const hook = await receiver(() => 200);
    stops.push(hook.close);
    const ep = await register("acme", hook.url);
    let now = Date.parse("2026-12-01T00:00:00Z");
    const n = buildNotifier({ db, bus, log, metrics: metrics() }, {}, { now: () => now, leaseMs: 120_000 });
    stops.push(() => n.loop.shutdown());
    const id = notificationId("acme", "vid-6", "video.ready", "webhook", ep.id);
    await insertDelivery(
      db,
      {
        notification_id: id,
        app_id: "acme",
        video_id: "vid-6",
        trigger: "video.ready",
        channel: "webhook",
        endpoint_id: ep.id,
        recipient: null,
        title: null,
        payload: JSON.stringify({ id }),
      },
      now,
    );
    // The dead notifier had claimed it and was sending when it was killed: nothing recorded.
    expect(await claimDue(db, now, 10, 120_000)).toHaveLength(1);
    now += 60_000;
    expect(await n.loop.runOnce()).toEqual({ attempted: 0 });
    now += 61_000;
    expect(await n.loop.runOnce()).toEqual({ attempted: 1 });
    expect(hook.requests.map((r) => r.headers["webhook-id"])).toEqual([id]);
    expect(await attemptsOf(db, id)).toMatchObject([{ attempt: 1, outcome: "sent", status_code: 200 }]);
  });
});

describe("outages", () => {
  it("a bus that refuses publishes delays the notification events (kept in the outbox), not the deliveries", async () => {
    const hook = await receiver(() => 200);
    stops.push(hook.close);
    const ep = await register("acme", hook.url);
    let down = false;
    const flaky: Bus = {
      driver: bus.driver,
      maxMessageBytes: bus.maxMessageBytes,
      start: () => bus.start(),
      health: () => bus.health(),
      shutdown: () => bus.shutdown(),
      ensureTopics: (t) => bus.ensureTopics(t),
      consume: (o) => bus.consume(o),
      publish: (topic, messages) =>
        down && topic === TOPICS.notification ? Promise.reject(new Error("bus down")) : bus.publish(topic, messages),
    };
    const n = buildNotifier({ db, bus: flaky, log, metrics: metrics() }, {});
    stops.push(() => n.loop.shutdown());
    const id = notificationId("acme", "vid-7", "video.ready", "webhook", ep.id);
    await insertDelivery(
      db,
      {
        notification_id: id,
        app_id: "acme",
        video_id: "vid-7",
        trigger: "video.ready",
        channel: "webhook",
        endpoint_id: ep.id,
        recipient: null,
        title: null,
        payload: JSON.stringify({ id }),
      },
      Date.now(),
    );
    down = true;
    expect(await n.loop.runOnce()).toEqual({ attempted: 1 });
    expect(hook.requests).toHaveLength(1);
    expect((await db.query("SELECT count(*)::int AS n FROM notifier_attempts WHERE NOT published")).rows).toEqual([
      { n: 1 },
    ]);
    down = false;
    await n.loop.runOnce();
    const events = await readTopic<NotificationEvent>(bus, TOPICS.notification, (all) => all.length >= 1);
    expect(events.map((e) => [e.event_type, e.notification.id])).toEqual([["notification.sent", id]]);
    expect(hook.requests).toHaveLength(1);
  });
});

describe("email", () => {
  it("sends the owner an email naming the video and its state through a real SMTP server, when the catalogue knows the owner", async () => {
    const received: ParsedMail[] = [];
    const envelopes: string[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      onData(stream, session, done) {
        envelopes.push(...session.envelope.rcptTo.map((r) => r.address));
        simpleParser(stream).then(
          (mail) => {
            received.push(mail);
            done();
          },
          (err: Error) => done(err),
        );
      },
    });
    await new Promise<void>((r) => smtp.listen(0, "127.0.0.1", () => r()));
    stops.push(() => new Promise<void>((r) => smtp.close(() => r())));
    const port = (smtp.server.address() as AddressInfo).port;

    // The catalogue's table (another role owns it): the owner's email and the title.
    await db.query(
      "CREATE TABLE videos (video_id text PRIMARY KEY, app_id text NOT NULL, title text, owner_email text)",
    );
    await db.query("INSERT INTO videos (video_id, app_id, title, owner_email) VALUES ($1, $2, $3, $4)", [
      "vid-9",
      "acme",
      "Launch day",
      "owner@example.com",
    ]);
    const notifier = await startNotifier(
      { db, bus, log, metrics: metrics() },
      { REELTIME_SMTP_URL: `smtp://127.0.0.1:${port}`, REELTIME_SMTP_FROM: "reeltime <noreply@example.com>" },
      { pollMs: 10 },
    );
    stops.push(notifier.stop);

    await publishJobEnd(bus, { type: "job.failed", app: "acme", video: "vid-9" });
    // A video the catalogue does not know: no owner, no email.
    await publishJobEnd(bus, { type: "job.completed", app: "acme", video: "vid-unknown" });
    await waitFor("the email", () => received.length === 1);
    const mail = received[0]!;
    const id = notificationId("acme", "vid-9", "video.failed", "email");
    expect(envelopes).toEqual(["owner@example.com"]);
    expect(mail.subject).toBe('Your video "Launch day" could not be processed');
    expect(mail.text).toContain("vid-9");
    expect(mail.text).toContain("the input is not a video");
    expect(mail.from?.text).toContain("noreply@example.com");
    expect(mail.messageId).toBe(`<${id}@reeltime>`);
    await waitFor("the email logged as sent", async () => (await deliveryOf(db, id))?.state === "delivered");
    expect(await attemptsOf(db, id)).toMatchObject([{ attempt: 1, outcome: "sent", status_code: 250 }]);
    const events = await readTopic<NotificationEvent>(bus, TOPICS.notification, (all) => all.length >= 1);
    expect(events[0]).toMatchObject({ event_type: "notification.sent", notification: { id, channel: "email" } });
    // The recipient's address is in no event.
    expect(JSON.stringify(events)).not.toContain("owner@example.com");
    await new Promise((r) => setTimeout(r, 200));
    expect(received).toHaveLength(1);
  });
});
