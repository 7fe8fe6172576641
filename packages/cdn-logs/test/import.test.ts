import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { TOPICS } from "@reeltime/events";
import { MemoryArchive, RecordingBus } from "@reeltime/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { importCdnLogs } from "../src/import.ts";
import { LEDGER_PREFIX } from "../src/ledger.ts";
import { openLogSource } from "../src/sources.ts";
import { cmcdQuery, standardFile, standardLine } from "./fixtures/cloudfront.ts";

const env = { AWS_REGION: "us-east-1" };
const decoded = (bus: RecordingBus, topic: string) =>
  bus.published
    .filter((p) => p.topic === topic)
    .flatMap((p) => {
      const v = JSON.parse(new TextDecoder().decode(p.message.value)) as unknown;
      return (Array.isArray(v) ? v : [v]) as Record<string, unknown>[];
    });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "reeltime-cdn-import-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("reeltime cdn import (library)", () => {
  it("publishes one event per line, dead-letters bad lines, and a second import publishes nothing", async () => {
    const sid = 'sid="view-1"';
    await writeFile(
      join(dir, "E2EXAMPLE.2026-12-04-14.aaaa.gz"),
      gzipSync(standardFile([standardLine({ "cs-uri-query": cmcdQuery(sid) }), "broken", standardLine()])),
    );
    await writeFile(join(dir, "E2EXAMPLE.2026-12-04-15.bbbb"), standardFile([standardLine()]));
    const archive = new MemoryArchive();
    const bus = new RecordingBus();
    const progress: number[] = [];
    const first = await importCdnLogs(
      { bus, archive, source: openLogSource(dir, env) },
      { onProgress: (p) => progress.push(p.filesDone) },
    );
    expect(first).toMatchObject({ files: 2, filesDone: 2, skipped: 0, events: 3, deadLetters: 1, failed: [] });
    expect(progress).toEqual([0, 1, 2]);
    const events = decoded(bus, TOPICS.cdn);
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({ event_type: "cdn.request", cdn: { sid: "view-1", line: 3 } });
    expect(bus.published.find((p) => p.topic === TOPICS.cdn)?.message.key).toBe("view-1");
    const [letter] = decoded(bus, TOPICS.deadLetter);
    expect(letter).toMatchObject({
      stage: "cdn-import",
      reason: "cdn_field_count",
      message: expect.stringMatching(/^line 4: /),
      payload: { line: 4, text: "broken", log_file: join(dir, "E2EXAMPLE.2026-12-04-14.aaaa.gz") },
    });
    expect([...archive.objects.keys()].filter((k) => k.startsWith(LEDGER_PREFIX))).toHaveLength(2);

    const before = bus.published.length;
    const second = await importCdnLogs({ bus, archive, source: openLogSource(dir, env) });
    expect(second).toMatchObject({ files: 2, skipped: 2, events: 0, deadLetters: 0 });
    expect(bus.published.length).toBe(before);
  });

  it("imports a file again with the same ids when it is not in the ledger (a crash before the entry)", async () => {
    await writeFile(join(dir, "a.log"), standardFile([standardLine(), standardLine()]));
    const bus = new RecordingBus();
    await importCdnLogs({ bus, archive: new MemoryArchive(), source: openLogSource(dir, env) });
    await importCdnLogs({ bus, archive: new MemoryArchive(), source: openLogSource(dir, env) });
    const ids = decoded(bus, TOPICS.cdn).map((e) => e.event_id);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(2);
  });

  it("reports a corrupt file, keeps it out of the ledger and imports the others", async () => {
    const gz = gzipSync(Buffer.from(standardFile([standardLine()])));
    await writeFile(join(dir, "bad.gz"), Buffer.concat([gz.subarray(0, 16), Buffer.from("xxxxxxxxxxxxxxxx")]));
    await writeFile(join(dir, "good.log"), standardFile([standardLine()]));
    const archive = new MemoryArchive();
    const r = await importCdnLogs({ bus: new RecordingBus(), archive, source: openLogSource(dir, env) });
    expect(r.failed.map((f) => f.file)).toEqual([join(dir, "bad.gz")]);
    expect(r.events).toBe(1);
    expect([...archive.objects.keys()].filter((k) => k.startsWith(LEDGER_PREFIX))).toHaveLength(1);
  });

  it("refuses a location that is neither s3:// nor an existing path, in one line", async () => {
    expect(() => openLogSource("https://example.com/logs", env)).toThrow(
      /neither s3:\/\/bucket\/prefix nor a local path/,
    );
    await expect(openLogSource(join(dir, "nope"), env).list()).rejects.toMatchObject({
      code: "REELTIME_ERR_CDN_SOURCE",
    });
  });
});
