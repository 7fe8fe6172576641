import type { KinesisClient } from "@aws-sdk/client-kinesis";
import type { LogRecord, RecordSink } from "./shipper.ts";

/** PutRecords takes at most 500 records and 5 MiB a call. */
const MAX_RECORDS = 500;
const MAX_BYTES = 5 * 1024 * 1024;

/**
 * Puts log lines into a Kinesis stream with PutRecords, one record a line (as CloudFront's
 * real-time logs do); records the stream refused (throttled) are put again, up to `attempts` times.
 */
export class KinesisSink implements RecordSink {
  readonly #client: KinesisClient;
  readonly #stream: string;
  readonly #attempts: number;

  constructor(client: KinesisClient, stream: string, attempts = 5) {
    this.#client = client;
    this.#stream = stream;
    this.#attempts = attempts;
  }

  async put(records: readonly LogRecord[]): Promise<void> {
    let batch: LogRecord[] = [];
    let bytes = 0;
    for (const r of records) {
      const size = r.data.byteLength + r.partitionKey.length;
      if (batch.length === MAX_RECORDS || (batch.length > 0 && bytes + size > MAX_BYTES)) {
        await this.#putBatch(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(r);
      bytes += size;
    }
    if (batch.length > 0) await this.#putBatch(batch);
  }

  async #putBatch(records: LogRecord[]): Promise<void> {
    const { PutRecordsCommand } = await import("@aws-sdk/client-kinesis");
    let pending = records;
    for (let attempt = 1; ; attempt++) {
      const res = await this.#client.send(
        new PutRecordsCommand({
          StreamName: this.#stream,
          Records: pending.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
        }),
        // A put that never answers would stall the shipper; it fails and is tried again instead.
        { abortSignal: AbortSignal.timeout(15_000) },
      );
      if (!res.FailedRecordCount) return;
      const failed = pending.filter((_, i) => res.Records?.[i]?.ErrorCode);
      if (attempt >= this.#attempts) {
        const code = res.Records?.find((r) => r.ErrorCode)?.ErrorCode;
        throw new Error(`${failed.length} of ${pending.length} records refused by ${this.#stream} (${code})`);
      }
      pending = failed;
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}

/** Creates the stream when it does not exist and waits until it is ACTIVE; resolves true when it created it. */
export async function ensureStream(client: KinesisClient, StreamName: string, ShardCount: number): Promise<boolean> {
  const { CreateStreamCommand, DescribeStreamSummaryCommand } = await import("@aws-sdk/client-kinesis");
  const status = async () => {
    try {
      return (await client.send(new DescribeStreamSummaryCommand({ StreamName }))).StreamDescriptionSummary
        ?.StreamStatus;
    } catch (err) {
      if ((err as { name?: string }).name === "ResourceNotFoundException") return undefined;
      throw err;
    }
  };
  let created = false;
  if ((await status()) === undefined) {
    await client.send(new CreateStreamCommand({ StreamName, ShardCount }));
    created = true;
  }
  for (let i = 0; i < 120 && (await status()) !== "ACTIVE"; i++) await new Promise((r) => setTimeout(r, 250));
  return created;
}
