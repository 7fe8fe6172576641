import type { AddressInfo } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { KinesisClient, Shard } from "@aws-sdk/client-kinesis";
import dynalite from "dynalite";

/**
 * dynalite (DynamoDB's API over an in-memory LevelDB, a Node library in node_modules) on a
 * loopback port of this process: the unit tier's DynamoDB.
 */
export async function startDynalite(): Promise<{ client: DynamoDBClient; endpoint: string; close(): Promise<void> }> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
  return {
    client,
    endpoint,
    close: async () => {
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface FakeRecord {
  seq: string;
  data: Uint8Array;
  key: string;
}

/**
 * An in-memory Kinesis stream with just the calls the consumer makes (ListShards,
 * GetShardIterator, GetRecords). A closed shard answers its last records without a next
 * iterator, as Kinesis does at SHARD_END. Every iterator request is logged with its time.
 */
export class FakeKinesis {
  readonly shards: Shard[] = [];
  readonly records = new Map<string, FakeRecord[]>();
  readonly iterators: { shard: string; at: number }[] = [];
  #seq = 1000n;

  addShard(id: string, opts: { parents?: string[]; closed?: boolean } = {}): void {
    const [parent, adjacent] = opts.parents ?? [];
    this.shards.push({
      ShardId: id,
      HashKeyRange: { StartingHashKey: "0", EndingHashKey: "1" },
      SequenceNumberRange: {
        StartingSequenceNumber: "1",
        ...(opts.closed ? { EndingSequenceNumber: "999999999" } : {}),
      },
      ...(parent ? { ParentShardId: parent } : {}),
      ...(adjacent ? { AdjacentParentShardId: adjacent } : {}),
    });
    this.records.set(id, []);
  }

  put(shard: string, value: string): void {
    this.#seq += 1n;
    this.records.get(shard)?.push({ seq: this.#seq.toString(), data: new TextEncoder().encode(value), key: value });
  }

  #closed(shard: string): boolean {
    return this.shards.find((s) => s.ShardId === shard)?.SequenceNumberRange?.EndingSequenceNumber !== undefined;
  }

  readonly client = {
    send: async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const input = cmd.input;
      switch (cmd.constructor.name) {
        case "ListShardsCommand":
          return { Shards: this.shards.map((s) => ({ ...s })) };
        case "GetShardIteratorCommand": {
          const shard = input.ShardId as string;
          this.iterators.push({ shard, at: Date.now() });
          const recs = this.records.get(shard) ?? [];
          let i = 0;
          if (input.ShardIteratorType === "AT_SEQUENCE_NUMBER") {
            const from = BigInt(input.StartingSequenceNumber as string);
            i = recs.findIndex((r) => BigInt(r.seq) >= from);
            if (i < 0) i = recs.length;
          } else if (input.ShardIteratorType === "LATEST") i = recs.length;
          return { ShardIterator: JSON.stringify({ shard, i }) };
        }
        case "GetRecordsCommand": {
          const { shard, i } = JSON.parse(input.ShardIterator as string) as { shard: string; i: number };
          const recs = (this.records.get(shard) ?? []).slice(i);
          const end = i + recs.length;
          return {
            Records: recs.map((r) => ({
              SequenceNumber: r.seq,
              Data: r.data,
              PartitionKey: r.key,
              ApproximateArrivalTimestamp: new Date(),
            })),
            MillisBehindLatest: 0,
            NextShardIterator: this.#closed(shard) ? undefined : JSON.stringify({ shard, i: end }),
          };
        }
        default:
          throw new Error(`FakeKinesis: no ${cmd.constructor.name}`);
      }
    },
  } as unknown as KinesisClient;
}
