import { ListShardsCommand, PutRecordCommand } from "@aws-sdk/client-kinesis";
import type { CheckpointStore } from "@reeltime/ports";
import { createKinesisClient, type KinesisBusEnv } from "./client.ts";

/**
 * Starts consumer groups at the current ends of shared streams (a fresh lease table would
 * start them at TRIM_HORIZON and replay everything other runs published): one marker record
 * per open shard, placed by explicit hash key, its sequence number written as the checkpoint
 * of a fresh lease row of each group; closed shards get finished rows. The markers are not
 * read (reading starts after a checkpoint). Returns the open shards per stream. For drills
 * and tests on kinesis-local, whose streams every run shares.
 */
export async function startGroupsAtEnd(
  env: KinesisBusEnv,
  store: CheckpointStore,
  /** The streams each group reads. */
  groups: Readonly<Record<string, readonly string[]>>,
  marker: string,
): Promise<Map<string, number>> {
  const kinesis = createKinesisClient(env, { http1: true });
  const open = new Map<string, number>();
  try {
    const streams = [...new Set(Object.values(groups).flat())];
    for (const stream of streams) {
      const shards = (await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
      const byId = new Set(shards.map((s) => s.ShardId));
      let n = 0;
      for (const s of shards) {
        const shard = s.ShardId as string;
        const parents = [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => !!p && byId.has(p));
        const closed = s.SequenceNumberRange?.EndingSequenceNumber !== undefined;
        let checkpoint: string | null = null;
        if (!closed) {
          const put = await kinesis.send(
            new PutRecordCommand({
              StreamName: stream,
              PartitionKey: "drill-marker",
              ExplicitHashKey: s.HashKeyRange?.StartingHashKey,
              Data: new TextEncoder().encode(JSON.stringify({ marker })),
            }),
          );
          if (put.ShardId !== shard) throw new Error(`marker for ${stream}/${shard} landed in ${put.ShardId}`);
          checkpoint = `${put.SequenceNumber}:0`;
          n++;
        }
        for (const [group, reads] of Object.entries(groups))
          if (reads.includes(stream))
            await store.put(
              { group, stream, shard, owner: null, expiresAt: 0, checkpoint, finished: closed, parents },
              0,
            );
      }
      open.set(stream, n);
    }
  } finally {
    kinesis.destroy();
  }
  return open;
}
