import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KinesisClient } from "@aws-sdk/client-kinesis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KinesisSink } from "../../src/local/edge/kinesis-sink.ts";
import { LogShipper, MemorySink, readPosition } from "../../src/local/edge/shipper.ts";

let dir: string;
let file: string;
let positionFile: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "reeltime-shipper-"));
  file = join(dir, "access.log");
  positionFile = join(dir, "shipper", "position.json");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function shipper(sink: MemorySink): LogShipper {
  return new LogShipper({ file, positionFile, sink, pollMs: 10_000 });
}

describe("LogShipper", () => {
  it("puts each line as one record and saves the position after the put", async () => {
    writeFileSync(file, "1\ta\n2\tb\n");
    const sink = new MemorySink();
    const s = shipper(sink);
    s.start();
    await s.flush();
    expect(sink.lines).toEqual(["1\ta", "2\tb"]);
    expect(readPosition(positionFile)).toEqual({ inode: statSync(file).ino, offset: 8 });
    expect(s.stats()).toMatchObject({ shipped: 2, lastError: undefined });
    await s.shutdown();
  });

  it("goes on where the last run stopped: no line twice, none lost", async () => {
    writeFileSync(file, "one\n");
    const sink = new MemorySink();
    const first = shipper(sink);
    first.start();
    await first.flush();
    await first.shutdown();
    appendFileSync(file, "two\n");
    const second = shipper(sink);
    second.start();
    await second.flush();
    await second.shutdown();
    expect(sink.lines).toEqual(["one", "two"]);
  });

  it("keeps the lines when a put fails and puts them on the next flush", async () => {
    writeFileSync(file, "one\n");
    const sink = new MemorySink();
    const errors: unknown[] = [];
    const s = new LogShipper({ file, positionFile, sink, pollMs: 10_000, onError: (e) => errors.push(e) });
    s.start();
    sink.failNext = new Error("Kinesis is down");
    await expect(s.flush()).rejects.toThrow("Kinesis is down");
    expect(s.stats().lastError).toBe("Kinesis is down");
    expect(readPosition(positionFile)).toBeUndefined();
    await s.flush();
    expect(sink.lines).toEqual(["one"]);
    expect(errors).toHaveLength(1);
    expect(s.stats().lastError).toBeUndefined();
    await s.shutdown();
  });

  it("follows a rotated log and ships what shutdown finds", async () => {
    writeFileSync(file, "a\n");
    const sink = new MemorySink();
    const s = shipper(sink);
    s.start();
    await s.flush();
    renameSync(file, `${file}.1`);
    writeFileSync(file, "b\n");
    await s.flush();
    expect(sink.lines).toEqual(["a", "b"]);
    appendFileSync(file, "c\n");
    await s.shutdown();
    expect(sink.lines).toEqual(["a", "b", "c"]);
    expect(JSON.parse(readFileSync(positionFile, "utf8"))).toEqual({ inode: statSync(file).ino, offset: 4 });
  });

  it("polls on its own once started", async () => {
    const sink = new MemorySink();
    const s = new LogShipper({ file, positionFile, sink, pollMs: 5 });
    s.start();
    writeFileSync(file, "x\n");
    for (let i = 0; i < 200 && sink.lines.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await s.shutdown();
    expect(sink.lines).toEqual(["x"]);
  });
});

describe("KinesisSink", () => {
  it("puts up to 500 records a call and puts again the records the stream refused", async () => {
    const calls: { StreamName: string | undefined; keys: string[] }[] = [];
    let refuse = true;
    const client = {
      send: async (command: { input: { StreamName?: string; Records: { PartitionKey: string }[] } }) => {
        const keys = command.input.Records.map((r) => r.PartitionKey);
        calls.push({ StreamName: command.input.StreamName, keys });
        const failFirst = refuse;
        refuse = false;
        return {
          FailedRecordCount: failFirst ? 1 : 0,
          Records: keys.map((_, i) =>
            failFirst && i === 0 ? { ErrorCode: "ProvisionedThroughputExceededException" } : {},
          ),
        };
      },
    } as unknown as KinesisClient;
    const records = Array.from({ length: 501 }, (_, i) => ({ data: Buffer.from(`line ${i}`), partitionKey: `k${i}` }));
    await new KinesisSink(client, "reeltime.cdn.realtime").put(records);
    expect(calls.map((c) => c.keys.length)).toEqual([500, 1, 1]);
    expect(calls[1]!.keys).toEqual(["k0"]);
    expect(calls[2]!.keys).toEqual(["k500"]);
    expect(new Set(calls.map((c) => c.StreamName))).toEqual(new Set(["reeltime.cdn.realtime"]));
  });

  it("fails after its attempts when the stream keeps refusing", async () => {
    const client = {
      send: async () => ({ FailedRecordCount: 1, Records: [{ ErrorCode: "InternalFailure" }] }),
    } as unknown as KinesisClient;
    await expect(new KinesisSink(client, "s", 2).put([{ data: Buffer.from("x"), partitionKey: "k" }])).rejects.toThrow(
      "1 of 1 records refused by s (InternalFailure)",
    );
  });
});
