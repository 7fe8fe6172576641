import type { Bus } from "@reeltime/connectors";
import { type Database, migrate, openDatabase } from "@reeltime/database";
import { type ProcessorMetrics, type RunningProcessor, runProcessor } from "@reeltime/processing";
import { type Logger, loadEnv } from "@reeltime/runtime";
import { Type } from "@sinclair/typebox";
import { DEFAULT_DELIVERY, DeliveryLoop, type DeliveryOptions } from "./deliveries.ts";
import { Mailer } from "./email.ts";
import { NotifierProcessor } from "./processor.ts";
import { MIGRATIONS_OWNER, NOTIFIER_MIGRATIONS, type Sql } from "./store.ts";
import { guardOn } from "./webhooks/targets.ts";

/** The notifier's settings, by environment. */
export const NotifierEnv = Type.Object({
  REELTIME_SMTP_URL: Type.Optional(
    Type.String({
      description: "SMTP server for owner emails, e.g. smtp://user:pass@mail:587 (unset: no email; never logged)",
    }),
  ),
  REELTIME_SMTP_FROM: Type.String({ default: "reeltime <noreply@localhost>", description: "From: of owner emails" }),
  REELTIME_WEBHOOK_RETRY_HOURS: Type.Integer({
    default: 24,
    minimum: 1,
    maximum: 168,
    description:
      "how long a notification is retried (exponential backoff, full jitter, 1 s to 1 h) before it goes to dead letters",
  }),
});

export interface NotifierDeps {
  db: Sql;
  bus: Bus;
  log: Logger;
  metrics: ProcessorMetrics;
}

/**
 * Builds the notifier: its processor (consumer group reeltime-notifier over the job topic) and
 * its delivery loop. `overrides` are for tests (clock, backoff, resolver).
 */
export function buildNotifier(
  deps: NotifierDeps,
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<DeliveryOptions> = {},
) {
  const e = loadEnv(NotifierEnv, env);
  const mailer = e.REELTIME_SMTP_URL ? new Mailer(e.REELTIME_SMTP_URL, e.REELTIME_SMTP_FROM) : undefined;
  const options: DeliveryOptions = {
    ...DEFAULT_DELIVERY,
    guard: guardOn(env),
    retryMs: e.REELTIME_WEBHOOK_RETRY_HOURS * 3600_000,
    ...overrides,
  };
  const loop = new DeliveryLoop({ db: deps.db, bus: deps.bus, log: deps.log, mailer }, options);
  const processor = new NotifierProcessor(
    { db: deps.db, bus: deps.bus, log: deps.log, loop, metrics: deps.metrics },
    { email: mailer !== undefined, now: options.now },
  );
  return { processor, loop };
}

/** Starts the notifier on a migrated database: the consumer group and the retry loop. */
export async function startNotifier(
  deps: NotifierDeps,
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<DeliveryOptions> = {},
): Promise<{ running: RunningProcessor; loop: DeliveryLoop; stop(): Promise<void> }> {
  const { processor, loop } = buildNotifier(deps, env, overrides);
  loop.start();
  const running = await runProcessor(processor, { bus: deps.bus, log: deps.log, metrics: deps.metrics });
  loop.kick();
  return {
    running,
    loop,
    async stop() {
      await running.stop();
      await loop.shutdown();
    },
  };
}

/** The notifier's database (@reeltime/database: PGlite by default, PostgreSQL by REELTIME_PG_URL), migrated. */
export async function openNotifierDatabase(env: NodeJS.ProcessEnv = process.env): Promise<Database> {
  const db = await openDatabase(env);
  await migrate(db, MIGRATIONS_OWNER, NOTIFIER_MIGRATIONS);
  return db;
}
