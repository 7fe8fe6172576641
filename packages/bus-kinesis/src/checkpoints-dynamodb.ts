import {
  type AttributeValue,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { sleep } from "@reeltime/connectors/adapter";
import type { CheckpointStore, Lease } from "@reeltime/ports";
import { ReeltimeError, unavailable } from "@reeltime/runtime";

/** KCL's checkpoint labels: nothing processed yet, and a closed shard read to its end. */
export const TRIM_HORIZON = "TRIM_HORIZON";
export const SHARD_END = "SHARD_END";

/** Rows no one wrote for this long are deleted by DynamoDB's TTL (a live lease is rewritten every lease time / 3). */
export const DEFAULT_TTL_DAYS = 35;

/**
 * Creates the lease table if it is missing (on-demand capacity, TTL on `ttl`); resolves true
 * when it created it. The CDK app, the Helm chart's job and `reeltime infra up` make the same table.
 */
export async function createLeaseTable(client: DynamoDBClient, table: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: table }));
    return false;
  } catch (e) {
    if ((e as Error).name !== "ResourceNotFoundException") throw e;
  }
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
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
  } catch (e) {
    if ((e as Error).name !== "ResourceInUseException") throw e; // another instance made it first
  }
  for (let i = 0; i < 120; i++) {
    const res = await client.send(new DescribeTableCommand({ TableName: table }));
    if (res.Table?.TableStatus === "ACTIVE") break;
    await sleep(500);
  }
  await client
    .send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: "ttl", Enabled: true },
      }),
    )
    .catch(() => {}); // already on, or an emulator without TTL: leases are correct without it
  return true;
}

/** The partition key: one consumer group reading one stream (KCL's application, multi-stream mode). */
const groupKey = (group: string, stream: string) => `${group}|${stream}`;

function toItem(l: Omit<Lease, "version">, counter: number, ttlDays: number): Record<string, AttributeValue> {
  const [seq, sub] = (l.checkpoint ?? "").split(":");
  const item: Record<string, AttributeValue> = {
    leaseGroup: { S: groupKey(l.group, l.stream) },
    leaseKey: { S: l.shard },
    consumerGroup: { S: l.group },
    streamName: { S: l.stream },
    leaseCounter: { N: String(counter) },
    expiresAt: { N: String(l.expiresAt) },
    checkpoint: { S: l.finished ? SHARD_END : l.checkpoint ? (seq as string) : TRIM_HORIZON },
    checkpointSubSequenceNumber: { N: String(l.checkpoint ? Number(sub ?? 0) : 0) },
    ownerSwitchesSinceCheckpoint: { N: String(l.ownerSwitches ?? 0) },
    ttl: { N: String(Math.floor(Date.now() / 1000) + ttlDays * 86_400) },
  };
  if (l.owner !== null) item.leaseOwner = { S: l.owner };
  if (l.checkpoint) item.lastOffset = { S: l.checkpoint };
  if (l.parents && l.parents.length > 0) item.parentShardIds = { SS: l.parents };
  return item;
}

function fromItem(item: Record<string, AttributeValue>): Lease {
  const checkpoint = item.checkpoint?.S;
  const lease: Lease = {
    group: item.consumerGroup?.S as string,
    stream: item.streamName?.S as string,
    shard: item.leaseKey?.S as string,
    owner: item.leaseOwner?.S ?? null,
    expiresAt: Number(item.expiresAt?.N ?? 0),
    checkpoint:
      checkpoint === SHARD_END
        ? (item.lastOffset?.S ?? null)
        : checkpoint && checkpoint !== TRIM_HORIZON
          ? `${checkpoint}:${item.checkpointSubSequenceNumber?.N ?? "0"}`
          : null,
    finished: checkpoint === SHARD_END,
    ownerSwitches: Number(item.ownerSwitchesSinceCheckpoint?.N ?? 0),
    version: Number(item.leaseCounter?.N ?? 0),
  };
  const parents = item.parentShardIds?.SS;
  if (parents && parents.length > 0) lease.parents = [...parents].sort();
  return lease;
}

/**
 * Leases and checkpoints in a DynamoDB table, the way the Kinesis Client Library keeps them:
 * one row per (consumer group, stream, shard) with leaseKey = shard id, leaseOwner,
 * leaseCounter, checkpoint (a sequence number, TRIM_HORIZON or SHARD_END) and its
 * sub-sequence number, parentShardIds and ownerSwitchesSinceCheckpoint. Every write is a
 * PutItem conditioned on the leaseCounter read before (`attribute_not_exists` for a new row):
 * the counter moves on every take, renewal, steal, release and checkpoint, so a write based on
 * anything stale fails and the writer learns it lost the lease. Reads are strongly consistent.
 * Rows carry `ttl` (epoch seconds, last write + ttlDays) so leases of groups and streams that
 * are gone age out; keep the stream's retention below ttlDays.
 */
export class DynamoDbCheckpointStore implements CheckpointStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #ttlDays: number;
  readonly #endpoint: string;
  #ready: Promise<unknown> | null = null;

  constructor(client: DynamoDBClient, table: string, opts: { ttlDays?: number; endpoint?: string } = {}) {
    this.#client = client;
    this.#table = table;
    this.#ttlDays = opts.ttlDays ?? DEFAULT_TTL_DAYS;
    this.#endpoint = opts.endpoint ?? "DynamoDB";
  }

  /** Runs `work`, creating the table once if it is missing. */
  async #withTable<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      await this.#ready;
      return await work();
    } catch (e) {
      if ((e as Error).name !== "ResourceNotFoundException") throw this.#error(e, what);
      this.#ready ??= createLeaseTable(this.#client, this.#table).catch((err: unknown) => {
        this.#ready = null;
        throw err;
      });
      try {
        await this.#ready;
        return await work();
      } catch (err) {
        throw this.#error(err, what);
      }
    }
  }

  #error(e: unknown, what: string): Error {
    const name = (e as Error)?.name ?? "";
    if (e instanceof ConditionalCheckFailedException || name === "ConditionalCheckFailedException") return e as Error;
    return unavailable(
      "bus",
      `${this.#endpoint} did not ${what} in lease table ${this.#table}: ${name ? `${name}: ` : ""}${(e as Error)?.message ?? e}`,
      e,
    );
  }

  async #landed(next: Omit<Lease, "version">, counter: number): Promise<boolean> {
    const res = await this.#withTable("read a lease", () =>
      this.#client.send(
        new GetItemCommand({
          TableName: this.#table,
          Key: { leaseGroup: { S: groupKey(next.group, next.stream) }, leaseKey: { S: next.shard } },
          ConsistentRead: true,
        }),
      ),
    );
    if (!res.Item) return false;
    const row = fromItem(res.Item);
    return (
      row.version === counter &&
      row.owner === next.owner &&
      row.checkpoint === next.checkpoint &&
      row.finished === next.finished &&
      row.expiresAt === next.expiresAt
    );
  }

  async list(group: string, stream: string): Promise<Lease[]> {
    return this.#withTable("list leases", async () => {
      const out: Lease[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const res = await this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            KeyConditionExpression: "leaseGroup = :g",
            ExpressionAttributeValues: { ":g": { S: groupKey(group, stream) } },
            ConsistentRead: true,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of res.Items ?? []) out.push(fromItem(item));
        start = res.LastEvaluatedKey;
      } while (start);
      return out;
    });
  }

  async put(next: Omit<Lease, "version">, expectedVersion: number): Promise<Lease | null> {
    const counter = expectedVersion + 1;
    try {
      await this.#withTable("write a lease", () =>
        this.#client.send(
          new PutItemCommand({
            TableName: this.#table,
            Item: toItem(next, counter, this.#ttlDays),
            ...(expectedVersion === 0
              ? { ConditionExpression: "attribute_not_exists(leaseKey)" }
              : {
                  ConditionExpression: "leaseCounter = :counter",
                  ExpressionAttributeValues: { ":counter": { N: String(expectedVersion) } },
                }),
          }),
        ),
      );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException || (e as Error).name === "ConditionalCheckFailedException"))
        throw e;
      // A write whose answer was lost (a timeout) is retried by the SDK and then fails its own
      // condition: the row holding exactly this counter, owner and checkpoint is that write.
      if (!(await this.#landed(next, counter))) return null;
    }
    const stored: Lease = { ...next, version: counter, ownerSwitches: next.ownerSwitches ?? 0 };
    if (stored.parents && stored.parents.length === 0) delete stored.parents;
    return stored;
  }
}

/** The DynamoDB client for the lease table: the SDK's retries (throttling), answers within `timeoutMs`. */
export async function createLeaseClient(env: {
  AWS_REGION: string;
  REELTIME_DYNAMODB_ENDPOINT?: string | undefined;
  timeoutMs: number;
}): Promise<DynamoDBClient> {
  const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
  const endpoint = env.REELTIME_DYNAMODB_ENDPOINT;
  return new DynamoDBClient({
    region: env.AWS_REGION,
    maxAttempts: 3,
    requestHandler: { requestTimeout: env.timeoutMs },
    ...(endpoint ? { endpoint } : {}),
    ...(endpoint && !process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE
      ? { credentials: { accessKeyId: "local", secretAccessKey: "local" } }
      : {}),
  });
}

/** The one-line refusal of machine-local leases in production. */
export function fsLeasesInProduction(): ReeltimeError {
  return new ReeltimeError(
    "REELTIME_ERR_CONFIG",
    "REELTIME_KINESIS_LEASES=fs keeps Kinesis shard leases on one machine's disk, so processors on two hosts would both read a shard or neither; with REELTIME_ENV=production set REELTIME_KINESIS_LEASES=dynamodb (table REELTIME_KINESIS_LEASE_TABLE)",
  );
}
