import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { LOCAL_ENDPOINTS } from "../endpoints.ts";
import type { LocalService } from "./types.ts";

const ENDPOINT = LOCAL_ENDPOINTS.dynamodb.endpoint;
const PORT = Number(new URL(ENDPOINT).port);
/** The lease table reeltime's Kinesis consumers use (REELTIME_KINESIS_LEASE_TABLE's default). */
const LEASE_TABLE = LOCAL_ENDPOINTS.dynamodb.leaseTable;

/** The installed dynalite package folder (an npm dependency of infra). */
function packageDir(): string {
  return dirname(createRequire(import.meta.url).resolve("dynalite/package.json"));
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageDir(), "package.json"), "utf8")) as { version: string }).version;
}

/** A DynamoDB client for the local dynalite server (placeholder keys: dynalite checks none). */
export async function localDynamoClient() {
  const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
  return new DynamoDBClient({
    endpoint: ENDPOINT,
    region: LOCAL_ENDPOINTS.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 2,
  });
}

/**
 * dynalite (Apache-2.0, DynamoDB's API over LevelDB, in Node) from npm: the shared store of
 * Kinesis shard leases. Tables persist under <state>/dynamodb/data; tables are ACTIVE at once.
 */
export const dynamodb: LocalService = {
  name: "dynamodb",
  ports: [PORT],
  url: ENDPOINT,
  startTimeoutMs: 30_000,

  async install() {
    packageDir();
    return false;
  },

  async prepare(ctx) {
    const data = join(ctx.dir, "data");
    mkdirSync(data, { recursive: true });
    return {
      command: process.execPath,
      args: [
        join(packageDir(), "cli.js"),
        "--host",
        "127.0.0.1",
        "--port",
        String(PORT),
        "--path",
        data,
        "--createTableMs",
        "0",
        "--deleteTableMs",
        "0",
        "--updateTableMs",
        "0",
      ],
      cwd: ctx.dir,
      env: { ...process.env },
    };
  },

  async probe() {
    const { ListTablesCommand } = await import("@aws-sdk/client-dynamodb");
    const client = await localDynamoClient();
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(3000) });
      return { healthy: true, version: `dynalite ${packageVersion()}` };
    } finally {
      client.destroy();
    }
  },

  async provision() {
    const { CreateTableCommand, DescribeTableCommand, UpdateTimeToLiveCommand } = await import(
      "@aws-sdk/client-dynamodb"
    );
    const client = await localDynamoClient();
    try {
      try {
        await client.send(new DescribeTableCommand({ TableName: LEASE_TABLE }));
        return `table ${LEASE_TABLE}`;
      } catch (err) {
        if ((err as { name?: string }).name !== "ResourceNotFoundException") throw err;
      }
      // The same schema as bus-kinesis' DynamoDbCheckpointStore creates (and the CDK app and Helm chart).
      await client.send(
        new CreateTableCommand({
          TableName: LEASE_TABLE,
          BillingMode: "PAY_PER_REQUEST",
          AttributeDefinitions: [
            { AttributeName: "leaseGroup", AttributeType: "S" },
            { AttributeName: "leaseKey", AttributeType: "S" },
          ],
          KeySchema: [
            { AttributeName: "leaseGroup", KeyType: "HASH" },
            { AttributeName: "leaseKey", KeyType: "RANGE" },
          ],
        }),
      );
      await client
        .send(
          new UpdateTimeToLiveCommand({
            TableName: LEASE_TABLE,
            TimeToLiveSpecification: { AttributeName: "ttl", Enabled: true },
          }),
        )
        .catch(() => {}); // dynalite keeps no TTL; AWS deletes expired rows
      return `table ${LEASE_TABLE} (created)`;
    } finally {
      client.destroy();
    }
  },
};
