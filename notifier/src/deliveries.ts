import { randomBytes } from "node:crypto";
import type { Bus } from "@reeltime/connectors";
import {
  type DeadLetter,
  type NotificationEvent,
  routeOf,
  SCHEMA_VERSION,
  TOPICS,
  truncateIp,
  validateEvent,
} from "@reeltime/events";
import { publishDeadLetters } from "@reeltime/processing";
import { Counter, Histogram, LATENCY_BUCKETS, type Logger, type Registry } from "@reeltime/runtime";
import { emailMessage, type Mailer } from "./email.ts";
import {
  type AttemptRecord,
  type ClaimedDelivery,
  cancelDelivery,
  claimDue,
  iso,
  markPublished,
  ms,
  recordAttempt,
  type Sql,
  type UnpublishedAttempt,
  unpublishedAttempts,
} from "./store.ts";
import { postWebhook } from "./webhooks/post.ts";
import { signWebhook } from "./webhooks/signing.ts";
import type { Resolver } from "./webhooks/targets.ts";

/** Exponential backoff with full jitter: attempt n (from 1) waits a uniform random time in [0, min(cap, base·2ⁿ⁻¹)). */
export function fullJitterMs(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt - 1, 40));
  return Math.floor(random() * ceiling);
}

/**
 * An error text without whole IP addresses (socket errors name the peer, e.g. "connect
 * ECONNREFUSED 10.1.2.3:443"): IPv4 keeps its /24, IPv6 is dropped. The text goes into the
 * delivery log, the notification events (searchable) and dead letters.
 */
export function withoutAddresses(text: string): string {
  return text
    .replace(/\b(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}\b/g, "$1.x")
    .replace(/\[?[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:%[\w.]+)?\]?/gi, (m) =>
      m.includes("::") || m.split(":").length > 3 ? "[ipv6]" : m,
    );
}

/** A UUIDv7 at `now` (the contract's event ids sort by time). */
export function uuidv7(now: number): string {
  const b = randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export interface DeliveryOptions {
  /** The SSRF guard (REELTIME_ENV=production). */
  guard: boolean;
  /** Give up this long after the first attempt (REELTIME_WEBHOOK_RETRY_HOURS, default 24 h). */
  retryMs: number;
  baseMs: number;
  capMs: number;
  timeoutMs: number;
  /** How often the loop looks for due deliveries. */
  pollMs: number;
  /** Deliveries sent at once. */
  concurrency: number;
  /** How long a claimed delivery stays claimed: a notifier killed mid-send leaves it due again after this. */
  leaseMs: number;
  now: () => number;
  random: () => number;
  resolver?: Resolver | undefined;
}

export const DEFAULT_DELIVERY: Omit<DeliveryOptions, "guard"> = {
  retryMs: 24 * 3600_000,
  baseMs: 1000,
  capMs: 3600_000,
  timeoutMs: 10_000,
  pollMs: 1000,
  concurrency: 8,
  leaseMs: 120_000,
  now: Date.now,
  random: Math.random,
};

/**
 * The retry loop: a timer that claims due deliveries from the table, sends each (signed webhook
 * or email), logs the attempt and schedules the next one (full jitter) or gives up after the
 * retry window (notification.dead and a dead letter). The notification.* event of each attempt
 * and the dead letters go out through the attempts table (an outbox), so a bus outage delays
 * them and loses none.
 */
export class DeliveryLoop {
  readonly #db: Sql;
  readonly #bus: Bus;
  readonly #log: Logger;
  readonly #mailer: Mailer | undefined;
  readonly #o: DeliveryOptions;
  readonly #attempts: Counter<"channel" | "outcome"> | undefined;
  readonly #seconds: Histogram<"channel"> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(
    deps: { db: Sql; bus: Bus; log: Logger; mailer?: Mailer | undefined; registry?: Registry | undefined },
    options: DeliveryOptions,
  ) {
    if (deps.registry) {
      this.#attempts = new Counter({
        name: "reeltime_notifier_attempts_total",
        help: "Delivery attempts of notifications, by channel and outcome (sent, failed: retried, dead: given up)",
        labelNames: ["channel", "outcome"],
        registers: [deps.registry],
      });
      this.#seconds = new Histogram({
        name: "reeltime_notifier_attempt_duration_seconds",
        help: "Time of one delivery attempt (webhook call or SMTP submission), by channel",
        labelNames: ["channel"],
        buckets: LATENCY_BUCKETS,
        registers: [deps.registry],
      });
    }
    this.#db = deps.db;
    this.#bus = deps.bus;
    this.#log = deps.log;
    this.#mailer = deps.mailer;
    this.#o = options;
  }

  start(): void {
    this.#stopped = false;
    this.#timer ??= setInterval(() => this.kick(), this.#o.pollMs);
    this.#timer.unref();
  }

  /** Runs the loop soon (new deliveries were recorded); runs coalesce. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.runOnce()
      .then(() => undefined)
      .catch((err) =>
        this.#log.warn(
          { err: { message: (err as Error).message?.slice(0, 300), code: (err as { code?: string }).code } },
          "notifier: delivery round failed; the next one retries",
        ),
      )
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  /** Waits for the round in flight. */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async shutdown(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
    this.#mailer?.close();
  }

  /** One round: publish what the outbox holds, send every due delivery (in waves of `concurrency`), publish again. */
  async runOnce(): Promise<{ attempted: number }> {
    await this.#publishOrWait();
    let attempted = 0;
    for (;;) {
      const due = await claimDue(this.#db, this.#o.now(), this.#o.concurrency, this.#o.leaseMs);
      if (due.length === 0) break;
      await Promise.all(due.map((d) => this.#attempt(d)));
      attempted += due.length;
      if (due.length < this.#o.concurrency) break;
    }
    await this.#publishOrWait();
    return { attempted };
  }

  /** A bus outage delays the events (they stay in the outbox), never the deliveries. */
  async #publishOrWait(): Promise<void> {
    try {
      await this.publishOutbox();
    } catch (err) {
      this.#log.warn(
        { err: { message: (err as Error).message?.slice(0, 300), code: (err as { code?: string }).code } },
        `notifier: notification events not published yet (${
          (err as { code?: string }).code === "REELTIME_ERR_DATABASE_UNAVAILABLE"
            ? "the database is unavailable"
            : "the bus refused"
        }); they stay in the outbox`,
      );
    }
  }

  async #attempt(d: ClaimedDelivery): Promise<void> {
    const attempt = d.attempts + 1;
    const started = this.#o.now();
    const t0 = performance.now();
    let status = 0;
    let errorCode: string | undefined;
    let errorMessage: string | undefined;
    let remote: string | undefined;
    if (d.channel === "webhook") {
      if (!d.url || !d.secret) {
        await cancelDelivery(this.#db, d.notification_id, started);
        this.#log.info(
          { notification_id: d.notification_id, endpoint_id: d.endpoint_id },
          "notifier: endpoint deleted, notification cancelled",
        );
        return;
      }
      const ts = Math.floor(started / 1000);
      const r = await postWebhook(d.url, d.payload, signWebhook(d.secret, d.notification_id, ts, d.payload), {
        guard: this.#o.guard,
        timeoutMs: this.#o.timeoutMs,
        resolver: this.#o.resolver,
      });
      ({ status, remote } = r);
      if (r.errorCode === "REELTIME_ERR_WEBHOOK_TARGET") {
        errorCode = r.errorCode;
        errorMessage = r.errorMessage;
      } else if (status === 0) {
        errorCode = "REELTIME_ERR_WEBHOOK_UNREACHABLE";
        errorMessage = `${r.errorCode ?? "error"}: ${r.errorMessage ?? "no answer"}`;
      } else if (status < 200 || status >= 300) {
        errorCode = "REELTIME_ERR_WEBHOOK_STATUS";
        errorMessage = `the endpoint answered ${status}`;
      }
    } else {
      if (!this.#mailer || !d.recipient) {
        await cancelDelivery(this.#db, d.notification_id, started);
        this.#log.info(
          { notification_id: d.notification_id },
          "notifier: no SMTP server configured (REELTIME_SMTP_URL) or no recipient, email cancelled",
        );
        return;
      }
      const payload = JSON.parse(d.payload) as { data?: { error?: { message?: string } } };
      const r = await this.#mailer.send(
        d.recipient,
        d.notification_id,
        emailMessage({
          trigger: d.trigger,
          video_id: d.video_id,
          title: d.title,
          notification_id: d.notification_id,
          reason: payload.data?.error?.message,
        }),
      );
      status = r.status;
      if (r.errorCode || status < 200 || status >= 400) {
        errorCode = "REELTIME_ERR_SMTP";
        errorMessage = `${r.errorCode ?? "reply"}: ${r.errorMessage ?? `the SMTP server answered ${status}`}`;
      }
    }
    const latency = Math.round(performance.now() - t0);
    const ok = errorCode === undefined;
    const at = this.#o.now();
    const record: AttemptRecord = {
      notification_id: d.notification_id,
      attempt,
      event_id: uuidv7(at),
      outcome: "sent",
      status_code: status,
      latency_ms: latency,
      at,
    };
    if (!ok) {
      record.error_code = errorCode;
      record.error_message = withoutAddresses(errorMessage ?? "delivery failed");
      const windowEnd = (ms(d.retry_from) ?? at) + this.#o.retryMs;
      // A target the guard refuses stays refused: no point retrying it for a day.
      const hopeless = errorCode === "REELTIME_ERR_WEBHOOK_TARGET";
      if (hopeless || at >= windowEnd) record.outcome = "dead";
      else {
        record.outcome = "failed";
        record.next_attempt_at = Math.min(
          at + fullJitterMs(attempt, this.#o.baseMs, this.#o.capMs, this.#o.random),
          windowEnd,
        );
      }
    }
    await recordAttempt(this.#db, record);
    this.#attempts?.inc({ channel: d.channel, outcome: record.outcome });
    this.#seconds?.observe({ channel: d.channel }, latency / 1000);
    // The log: status, latency, attempt; never the secret, the URL's query or the whole address.
    const line = {
      notification_id: d.notification_id,
      channel: d.channel,
      endpoint_id: d.endpoint_id ?? undefined,
      attempt,
      status,
      latency_ms: latency,
      outcome: record.outcome,
      ...(remote ? { remote: truncateIp(remote, 24, 48) } : {}),
      ...(record.next_attempt_at ? { next_attempt_at: iso(record.next_attempt_at) } : {}),
      ...(errorCode ? { error: errorCode } : {}),
    };
    if (record.outcome === "sent") this.#log.info(line, "notifier: delivered");
    else if (record.outcome === "failed") this.#log.warn(line, "notifier: delivery failed, retry scheduled");
    else this.#log.error(line, "notifier: delivery given up, sent to dead letters");
  }

  /** Publishes the notification.* events (and dead letters) of attempts not published yet. */
  async publishOutbox(): Promise<number> {
    let total = 0;
    for (;;) {
      const pending = await unpublishedAttempts(this.#db, 200);
      if (pending.length === 0) return total;
      const events: NotificationEvent[] = [];
      const letters: DeadLetter[] = [];
      for (const a of pending) {
        const e = this.#event(a);
        if (e) events.push(e);
        if (a.outcome === "dead") letters.push(this.#letter(a));
      }
      const byTopic = new Map<string, { key: string; value: Uint8Array }[]>();
      for (const e of events) {
        const { topic, key } = routeOf(e);
        const list = byTopic.get(topic) ?? [];
        list.push({ key, value: new TextEncoder().encode(JSON.stringify(e)) });
        byTopic.set(topic, list);
      }
      for (const [topic, messages] of byTopic) await this.#bus.publish(topic, messages);
      await publishDeadLetters(this.#bus, letters);
      await markPublished(this.#db, pending);
      total += pending.length;
      if (pending.length < 200) return total;
    }
  }

  #event(a: UnpublishedAttempt): NotificationEvent | undefined {
    const event = {
      event_id: a.event_id,
      event_type: `notification.${a.outcome}`,
      schema_version: SCHEMA_VERSION,
      client_ts: iso(a.at),
      seq: a.attempt,
      app_id: a.app_id,
      video: { id: a.video_id, ...(a.title ? { title: a.title.slice(0, 256) } : {}) },
      notification: {
        id: a.notification_id,
        channel: a.channel,
        trigger: a.trigger,
        ...(a.endpoint_id ? { endpoint_id: a.endpoint_id } : {}),
        attempt: a.attempt,
        ...(a.status_code !== undefined ? { status_code: a.status_code } : {}),
        latency_ms: a.latency_ms,
        ...(a.next_attempt_at !== undefined ? { next_attempt_at: iso(a.next_attempt_at) } : {}),
        ...(a.error_code
          ? { error: { code: a.error_code.slice(0, 256), message: (a.error_message ?? "").slice(0, 2048) } }
          : {}),
      },
    };
    const checked = validateEvent(event, 0, { now: new Date(a.at) });
    if (!checked.ok) {
      this.#log.error(
        { notification_id: a.notification_id, errors: checked.errors.map((e) => `${e.pointer} ${e.message}`) },
        "notifier: built an invalid notification event; it is not published",
      );
      return undefined;
    }
    return checked.event as NotificationEvent;
  }

  #letter(a: UnpublishedAttempt): DeadLetter {
    return {
      dead_letter_id: `${a.notification_id}.${a.attempt}`,
      stage: "notifier",
      reason: a.error_code === "REELTIME_ERR_WEBHOOK_TARGET" ? "webhook_target_refused" : "undeliverable",
      message:
        `${a.channel} notification ${a.notification_id} (${a.trigger} of video ${a.video_id}) given up after ${a.attempt} attempts: ${a.error_code ?? "error"}: ${a.error_message ?? ""}`.slice(
          0,
          2000,
        ),
      topic: TOPICS.notification,
      app_id: a.app_id,
      event_id: a.event_id,
      event_type: "notification.dead",
      // No recipient address, no secret: what `reeltime replay` needs to resend is the id.
      payload: {
        notification_id: a.notification_id,
        channel: a.channel,
        trigger: a.trigger,
        video_id: a.video_id,
        ...(a.endpoint_id ? { endpoint_id: a.endpoint_id } : {}),
        attempts: a.attempt,
        ...(a.status_code !== undefined ? { last_status: a.status_code } : {}),
      },
      received_at: iso(a.at),
    };
  }
}
