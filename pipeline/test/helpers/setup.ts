import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Archive } from "@reeltime/connectors";
import { type JobEvent, validateEvent } from "@reeltime/events";
import { expect } from "vitest";
import { MemoryArchive, RecordingBus } from "./memory.ts";

/** A recording bus and an in-memory archive, plus a scratch directory. */
export async function testDeps() {
  const dir = await mkdtemp(join(tmpdir(), "reeltime-pipeline-test-"));
  return { bus: new RecordingBus(), archive: new MemoryArchive(), dir };
}

/** Copies archive objects under `prefix` to `dir`, keeping their relative paths. */
export async function exportTo(archive: Archive, prefix: string, dir: string): Promise<void> {
  const { mkdir } = await import("node:fs/promises");
  for (const o of await archive.list(prefix)) {
    const path = join(dir, o.key.slice(prefix.length));
    await mkdir(join(path, ".."), { recursive: true });
    await writeFile(path, await archive.get(o.key));
  }
}

/** Every event passes the contract, seq rises by one from 1, and the bus got them in that order. */
export function expectValidSequence(bus: RecordingBus, jobId: string): JobEvent[] {
  const events = bus.events(jobId);
  expect(events.length).toBeGreaterThan(0);
  events.forEach((e, i) => {
    const r = validateEvent(e);
    expect(r.ok ? [] : r.errors).toEqual([]);
    expect(e.seq).toBe(i + 1);
  });
  for (const p of bus.published.filter((p) => p.message.key === jobId)) {
    expect(p.topic).toBe("reeltime.job");
    expect(p.message.headers?.schema_version).toMatch(/^1\.\d+$/);
  }
  expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
  return events;
}
