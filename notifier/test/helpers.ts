import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Bus, createBus, type DeadLetter } from "@reeltime/connectors";
import { type Database, MEMORY_URL } from "@reeltime/database";
import { SCHEMA_VERSION, TOPICS } from "@reeltime/events";
import { processorMetrics } from "@reeltime/processing";
import { ConnectionEnv, createLogger, createRegistry, loadEnv } from "@reeltime/runtime";
import { openNotifierDatabase } from "../src/service.ts";

export const log = createLogger("notifier-test", { level: "silent" });
const dec = new TextDecoder();
const enc = new TextEncoder();

/** PGlite in memory (@reeltime/database, memory://) with the notifier's migrations, as the service opens it. */
export function memoryDb(): Promise<Database> {
  return openNotifierDatabase({ REELTIME_PG_URL: MEMORY_URL });
}

/** The embedded bus in a temp folder, with the topics the notifier reads and writes. */
export async function embeddedBus(): Promise<{ bus: Bus; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "reeltime-notifier-"));
  const bus = await createBus(loadEnv(ConnectionEnv, { REELTIME_BUS: "embedded", REELTIME_DATA_DIR: dir }));
  await bus.start();
  await bus.ensureTopics([TOPICS.job, TOPICS.notification, TOPICS.deadLetter].map((name) => ({ name, partitions: 1 })));
  return {
    bus,
    async close() {
      await bus.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const metrics = () => processorMetrics(createRegistry("notifier-test"));

let seq = 0;
/** A job.completed or job.failed as the pipeline publishes it. */
export async function publishJobEnd(
  bus: Bus,
  e: { type: "job.completed" | "job.failed"; app: string; video: string; title?: string; job?: string },
): Promise<void> {
  const job = e.job ?? `job-${e.video}`;
  const event = {
    event_id: `0192f3a0-7c1e-7d2a-9b1c-${String(++seq).padStart(12, "0")}`,
    event_type: e.type,
    schema_version: SCHEMA_VERSION,
    client_ts: new Date().toISOString(),
    seq: 10,
    app_id: e.app,
    video: { id: e.video, ...(e.title ? { title: e.title } : {}) },
    job:
      e.type === "job.completed"
        ? { id: job, status: "completed" }
        : {
            id: job,
            status: "failed",
            error: { code: "REELTIME_ERR_NOT_A_VIDEO", message: "the input is not a video" },
          },
  };
  await bus.publish(TOPICS.job, [{ key: job, value: enc.encode(JSON.stringify(event)) }]);
}

/** Everything on a topic, read as a fresh consumer group until `until` holds. */
export async function readTopic<T>(bus: Bus, topic: string, until: (all: T[]) => boolean, ms = 30_000): Promise<T[]> {
  const got: T[] = [];
  const sub = await bus.consume({
    group: `reader-${topic}-${Math.random()}`,
    topics: [topic],
    commit: "after-handler",
    handler: async (b) => {
      for (const m of b.messages) got.push(JSON.parse(dec.decode(m.value)) as T);
    },
  });
  try {
    await waitFor(`${topic} holds what the test expects`, () => until(got), ms);
  } finally {
    await sub.stop();
  }
  return got;
}

export type Letter = DeadLetter;

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A webhook receiver on 127.0.0.1 that answers each request with what `answer` says. */
export async function receiver(answer: (n: number) => number): Promise<{
  url: string;
  requests: { headers: IncomingHttpHeaders; body: string; status: number }[];
  close(): Promise<void>;
}> {
  const requests: { headers: IncomingHttpHeaders; body: string; status: number }[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const status = answer(requests.length + 1);
      requests.push({ headers: req.headers, body, status });
      res.statusCode = status;
      res.end(status < 300 ? "ok" : "try later");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/reeltime?token=abc`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
