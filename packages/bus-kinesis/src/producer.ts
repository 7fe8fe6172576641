import { type KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from "@aws-sdk/client-kinesis";
import { backoffMs, sleep } from "@reeltime/connectors/adapter";
import type { BusMessage } from "@reeltime/ports";
import { ReeltimeError, unavailable } from "@reeltime/runtime";
import { isFinal, kinesisError } from "./client.ts";
import { pack } from "./framing.ts";

/** Service limits per PutRecords call. */
const MAX_RECORDS = 500;
const MAX_CALL_BYTES = 5 * 1024 * 1024;

const entrySize = (e: PutRecordsRequestEntry) =>
  (e.Data?.length ?? 0) + Buffer.byteLength(e.PartitionKey ?? "", "utf8");

/**
 * Packs messages per key into records, then sends them in rounds: round r holds the r-th
 * record of every key, so a key never has two records in flight and a retried record can
 * never land after a later one of the same key.
 */
export function plan(messages: BusMessage[]): PutRecordsRequestEntry[][][] {
  const byKey = new Map<string, BusMessage[]>();
  for (const m of messages) {
    const list = byKey.get(m.key) ?? [];
    list.push(m);
    byKey.set(m.key, list);
  }
  const rounds: PutRecordsRequestEntry[][] = [];
  for (const [key, list] of byKey) {
    for (const [r, rec] of pack(key, list).entries()) {
      const round = rounds[r] ?? [];
      round.push({ PartitionKey: rec.partitionKey, Data: rec.data });
      rounds[r] = round;
    }
  }
  return rounds.map((round) => {
    const calls: PutRecordsRequestEntry[][] = [];
    let cur: PutRecordsRequestEntry[] = [];
    let bytes = 0;
    for (const e of round) {
      if (cur.length === MAX_RECORDS || (cur.length > 0 && bytes + entrySize(e) > MAX_CALL_BYTES)) {
        calls.push(cur);
        cur = [];
        bytes = 0;
      }
      cur.push(e);
      bytes += entrySize(e);
    }
    if (cur.length > 0) calls.push(cur);
    return calls;
  });
}

/**
 * Sends one PutRecords call's entries until every one is acknowledged, retrying only the
 * entries that failed (throttling, internal errors) with backoff, until `deadline`.
 */
export async function putAll(
  client: KinesisClient,
  stream: string,
  entries: PutRecordsRequestEntry[],
  deadline: number,
  endpoint: string,
): Promise<void> {
  let pending = entries;
  let lastProblem = "";
  for (let attempt = 0; ; attempt++) {
    const left = deadline - Date.now();
    if (left <= 0) {
      throw unavailable(
        "bus",
        `${endpoint} did not acknowledge ${pending.length} of ${entries.length} record(s) to stream ${stream} within REELTIME_BUS_TIMEOUT_MS (last: ${lastProblem || "no answer"})`,
      );
    }
    try {
      const res = await client.send(new PutRecordsCommand({ StreamName: stream, Records: pending }), {
        abortSignal: AbortSignal.timeout(left),
      });
      const failed = pending.filter((_, i) => res.Records?.[i]?.ErrorCode);
      if (failed.length === 0) return;
      const first = res.Records?.find((r) => r.ErrorCode);
      lastProblem = `${failed.length} record(s) failed: ${first?.ErrorCode}: ${first?.ErrorMessage ?? ""}`;
      pending = failed;
    } catch (e) {
      if (isFinal(e)) throw kinesisError(e, `put records to stream ${stream}`, endpoint);
      lastProblem = `${(e as Error).name}: ${(e as Error).message}`;
    }
    await sleep(Math.min(backoffMs(attempt, 50, 1000), Math.max(0, deadline - Date.now())));
  }
}

/** Publishes all messages or rejects; a rejection may leave some written (duplicates on retry, never loss). */
export async function publishAll(
  client: KinesisClient,
  stream: string,
  messages: BusMessage[],
  timeoutMs: number,
  endpoint: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let rounds: PutRecordsRequestEntry[][][];
  try {
    rounds = plan(messages);
  } catch (e) {
    throw new ReeltimeError("REELTIME_ERR_BUS_MESSAGE_TOO_LARGE", `${(e as Error).message} (1 MiB with its framing)`);
  }
  for (const calls of rounds) {
    await Promise.all(calls.map((entries) => putAll(client, stream, entries, deadline, endpoint)));
  }
}
