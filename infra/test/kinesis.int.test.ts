import { randomUUID } from "node:crypto";
import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListStreamsCommand,
  PutRecordCommand,
} from "@aws-sdk/client-kinesis";
import { ALL_TOPICS, TOPICS } from "@reeltime/events";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { afterAll, describe, expect, it } from "vitest";
import { LOCAL_ENDPOINTS } from "../src/local/endpoints.ts";
import { loadSettings } from "../src/local/settings.ts";

// HTTP/1.1: the SDK's default HTTP/2 handler gets "Protocol error" from kinesis-local.
const kinesis = new KinesisClient({
  requestHandler: new NodeHttpHandler(),
  endpoint: LOCAL_ENDPOINTS.kinesis.endpoint,
  region: LOCAL_ENDPOINTS.region,
  credentials: {
    accessKeyId: LOCAL_ENDPOINTS.kinesis.accessKeyId,
    secretAccessKey: LOCAL_ENDPOINTS.kinesis.secretAccessKey,
  },
});

afterAll(() => kinesis.destroy());

describe("local Kinesis (kinesis-local, AWS SDK v3)", () => {
  it("has one active stream per topic with the configured shards", async () => {
    const { StreamNames } = await kinesis.send(new ListStreamsCommand({}));
    for (const t of ALL_TOPICS) expect(StreamNames).toContain(t);
    const d = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: TOPICS.playback }));
    expect(d.StreamDescriptionSummary?.StreamStatus).toBe("ACTIVE");
    expect(d.StreamDescriptionSummary?.OpenShardCount).toBe(loadSettings().kinesisShards);
  });

  it("puts a record and gets it back from its shard", async () => {
    const data = new TextEncoder().encode(JSON.stringify({ event_id: randomUUID(), event_type: "playback.smoke" }));
    const put = await kinesis.send(
      new PutRecordCommand({ StreamName: TOPICS.playback, PartitionKey: `view-${randomUUID()}`, Data: data }),
    );
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: TOPICS.playback,
        ShardId: put.ShardId!,
        ShardIteratorType: "AT_SEQUENCE_NUMBER",
        StartingSequenceNumber: put.SequenceNumber!,
      }),
    );
    const got = await kinesis.send(new GetRecordsCommand({ ShardIterator: ShardIterator!, Limit: 1 }));
    expect(got.Records?.[0]?.SequenceNumber).toBe(put.SequenceNumber);
    expect(Buffer.from(got.Records![0]!.Data!).equals(Buffer.from(data))).toBe(true);
  });
});
