import { type Bus, createBus } from "@reeltime/connectors";
import { type Database, migrate, openDatabase } from "@reeltime/database";
import { TOPICS } from "@reeltime/events";
import { type ProcessorMetrics, processorMetrics, type RunningProcessor, runProcessor } from "@reeltime/processing";
import {
  ConnectionEnv,
  createLogger,
  createRegistry,
  type Logger,
  loadEnv,
  type Registry,
  startOpsServer,
} from "@reeltime/runtime";
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
  /** Where the delivery metrics go (reeltime_notifier_*); none without it. */
  registry?: Registry;
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
  const loop = new DeliveryLoop(
    { db: deps.db, bus: deps.bus, log: deps.log, mailer, registry: deps.registry },
    options,
  );
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

/**
 * `reeltime notifier` (to be wired in the CLI): connections from env (bus, database), the
 * notifier's tables migrated, the consumer group and the retry loop, /metrics, /healthz and
 * /readyz on their own port; close() stops it all (the loop finishes the round in flight).
 */
export async function runNotifierService(
  opts: { metricsPort?: number; host?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ port: number; close(): Promise<void> }> {
  const source = opts.env ?? process.env;
  const env = loadEnv(ConnectionEnv, source);
  loadEnv(NotifierEnv, source); // a bad setting fails here, before anything starts
  const log = createLogger("notifier");
  const registry = createRegistry("notifier");
  const bus = await createBus(env);
  await bus.start();
  await bus.ensureTopics(
    [TOPICS.job, TOPICS.notification, TOPICS.deadLetter].map((name) => ({ name, partitions: env.REELTIME_PARTITIONS })),
  );
  const db = await openNotifierDatabase(source);
  const notifier = await startNotifier({ db, bus, log, metrics: processorMetrics(registry), registry }, source);
  const ops = await startOpsServer({
    registry,
    host: opts.host ?? "127.0.0.1",
    port: opts.metricsPort ?? 9466,
    setting: "--metrics-port",
  });
  log.info({ bus: bus.driver, database: db.kind, email: Boolean(source.REELTIME_SMTP_URL) }, "notifier running");
  return {
    port: ops.port,
    async close() {
      await ops.close();
      await notifier.stop();
      await bus.shutdown();
      await db.close();
    },
  };
}
