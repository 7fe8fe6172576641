import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ALL_TOPICS } from "@reeltime/events";
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

/** A Kinesis client for the local kinesis-local server. */
export async function localKinesisClient() {
  const { KinesisClient } = await import("@aws-sdk/client-kinesis");
  return new KinesisClient({
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
    return {
      command: process.execPath,
      args: ["--require", join(REPO_ROOT, "infra", "local", "loopback-only.cjs"), "main.js"],
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
    const { CreateStreamCommand, DescribeStreamSummaryCommand, ListStreamsCommand } = await import(
      "@aws-sdk/client-kinesis"
    );
    const client = await localKinesisClient();
    try {
      const existing = new Set((await client.send(new ListStreamsCommand({}))).StreamNames ?? []);
      const missing = ALL_TOPICS.filter((t) => !existing.has(t));
      for (const StreamName of missing) {
        await client.send(new CreateStreamCommand({ StreamName, ShardCount: ctx.settings.kinesisShards }));
      }
      for (const StreamName of ALL_TOPICS) {
        for (let i = 0; i < 120; i++) {
          const d = await client.send(new DescribeStreamSummaryCommand({ StreamName }));
          if (d.StreamDescriptionSummary?.StreamStatus === "ACTIVE") break;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      return `streams ${ALL_TOPICS.join(", ")}${missing.length ? ` (created ${missing.length}, ${ctx.settings.kinesisShards} shards)` : ""}`;
    } finally {
      client.destroy();
    }
  },
};
