import { mkdirSync, readFileSync, renameSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ALL_TOPICS } from "@reeltime/events";
import { ensureStream } from "../edge/kinesis-sink.ts";
import { LOCAL_ENDPOINTS } from "../endpoints.ts";
import { REPO_ROOT } from "../settings.ts";
import type { LocalService } from "./types.ts";

const PLAIN_PORT = 4568;
const TLS_PORT = 4567;

/** The installed kinesis-local package folder: it reads server.json from its working directory. */
function packageDir(): string {
  return dirname(createRequire(import.meta.url).resolve("kinesis-local/package.json"));
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageDir(), "package.json"), "utf8")) as { version: string }).version;
}

/**
 * kinesis-local loads its state file at start (LOAD_DATA_IF_EXISTS) and dies with a bare
 * `java.util.NoSuchElementException` when the file is empty or cut short, which is what a
 * machine stopped while it was writing leaves behind. Such a file holds nothing it can load, so
 * it is set aside (renamed `.unreadable-<time>`, kept for a post-mortem) and the server starts
 * empty, as on a first start; the streams are created again by `infra up`. Returns the name it
 * was moved to, or undefined when the file is absent or readable JSON.
 */
export function setAsideUnreadableState(file: string, now: Date = new Date()): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    JSON.parse(text);
    return undefined;
  } catch {
    const aside = `${file}.unreadable-${now.toISOString().replace(/[:.]/g, "-")}`;
    renameSync(file, aside);
    return aside;
  }
}

/**
 * A Kinesis client for the local kinesis-local server. It speaks HTTP/1.1: the SDK's default
 * HTTP/2 handler gets ERR_HTTP2_ERROR "Protocol error" from kinesis-local on some answers.
 */
export async function localKinesisClient() {
  const { KinesisClient } = await import("@aws-sdk/client-kinesis");
  const { NodeHttpHandler } = await import("@smithy/node-http-handler");
  return new KinesisClient({
    requestHandler: new NodeHttpHandler(),
    endpoint: LOCAL_ENDPOINTS.kinesis.endpoint,
    region: LOCAL_ENDPOINTS.region,
    credentials: {
      accessKeyId: LOCAL_ENDPOINTS.kinesis.accessKeyId,
      secretAccessKey: LOCAL_ENDPOINTS.kinesis.secretAccessKey,
    },
    maxAttempts: 2,
  });
}

/** kinesis-local (kinesis-mock compiled to JavaScript) from npm, HTTP on 4568, data persisted. */
export const kinesis: LocalService = {
  name: "kinesis",
  ports: [PLAIN_PORT, TLS_PORT],
  url: LOCAL_ENDPOINTS.kinesis.endpoint,
  startTimeoutMs: 60_000,

  async install() {
    packageDir();
    return false;
  },

  async prepare(ctx) {
    const data = join(ctx.dir, "data");
    mkdirSync(data, { recursive: true });
    const aside = setAsideUnreadableState(join(data, "kinesis-data.json"));
    if (aside) ctx.progress(`kinesis: its saved state was unreadable (empty or cut short), set aside as ${aside}`);
    return {
      command: process.execPath,
      args: ["--require", join(REPO_ROOT, "infra", "local", "kinesis-local-preload.cjs"), "main.js"],
      cwd: packageDir(),
      env: {
        ...process.env,
        KINESIS_MOCK_PLAIN_PORT: String(PLAIN_PORT),
        KINESIS_MOCK_TLS_PORT: String(TLS_PORT),
        AWS_REGION: LOCAL_ENDPOINTS.region,
        SHOULD_PERSIST_DATA: "true",
        LOAD_DATA_IF_EXISTS: "true",
        PERSIST_PATH: data,
        LOG_LEVEL: "WARN",
        // Tests create streams of their own; the mock's AWS-like default limit (50 shards) runs out.
        SHARD_LIMIT: "5000",
        ON_DEMAND_STREAM_COUNT_LIMIT: "500",
      },
    };
  },

  async probe() {
    const { ListStreamsCommand } = await import("@aws-sdk/client-kinesis");
    const client = await localKinesisClient();
    try {
      await client.send(new ListStreamsCommand({}), { abortSignal: AbortSignal.timeout(3000) });
      return { healthy: true, version: `kinesis-local ${packageVersion()}` };
    } finally {
      client.destroy();
    }
  },

  async provision(ctx) {
    const { CreateStreamCommand, DescribeStreamSummaryCommand } = await import("@aws-sdk/client-kinesis");
    const client = await localKinesisClient();
    const describe = async (StreamName: string) => {
      try {
        return (await client.send(new DescribeStreamSummaryCommand({ StreamName }))).StreamDescriptionSummary;
      } catch (err) {
        if ((err as { name?: string }).name === "ResourceNotFoundException") return undefined;
        throw err;
      }
    };
    try {
      let created = 0;
      for (const StreamName of ALL_TOPICS) {
        if ((await describe(StreamName)) === undefined) {
          await client.send(new CreateStreamCommand({ StreamName, ShardCount: ctx.settings.kinesisShards }));
          created++;
        }
      }
      for (const StreamName of ALL_TOPICS) {
        for (let i = 0; i < 120 && (await describe(StreamName))?.StreamStatus !== "ACTIVE"; i++) {
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      // The local edge's access log arrives here, as CloudFront real-time logs do (edge-shipper).
      if (await ensureStream(client, LOCAL_ENDPOINTS.edge.realtimeLogStream, ctx.settings.kinesisShards)) created++;
      return `streams ${[...ALL_TOPICS, LOCAL_ENDPOINTS.edge.realtimeLogStream].join(", ")}${created ? ` (created ${created}, ${ctx.settings.kinesisShards} shards each)` : ""}`;
    } finally {
      client.destroy();
    }
  },
};
