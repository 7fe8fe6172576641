import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Archive, createArchive, createBus } from "@reeltime/connectors";
import { type JobEvent, validateEvent } from "@reeltime/events";
import { ConnectionEnv, loadEnv, ReeltimeError } from "@reeltime/runtime";
import { RecordingArchive, RecordingBus } from "@reeltime/testkit";
import { afterAll, afterEach, expect } from "vitest";

/**
 * The real embedded bus and filesystem archive in a fresh data directory, each wrapped to
 * record what the pipeline did. Falls back to in-memory twins while a driver is not in the
 * build yet.
 */
export async function testDeps() {
  const dir = await mkdtemp(join(tmpdir(), "reeltime-pipeline-test-"));
  const env = { ...loadEnv(ConnectionEnv, {}), REELTIME_DATA_DIR: join(dir, "data") };
  const real = async <T>(make: () => Promise<T>): Promise<T | undefined> =>
    make().catch((err) => {
      if (err instanceof ReeltimeError && err.code === "REELTIME_ERR_CONFIG") return undefined;
      throw err;
    });
  const bus = new RecordingBus(await real(() => createBus({ ...env, REELTIME_BUS: "embedded" })));
  const archive = new RecordingArchive(await real(() => createArchive({ ...env, REELTIME_ARCHIVE: "fs" })));
  after.push(
    () => bus.shutdown(),
    () => archive.shutdown(),
  );
  await mkdir(join(dir, "scratch"));
  return { bus, archive, dir: join(dir, "scratch") };
}

const after: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of after.splice(0)) await close();
});

const afterEachTest: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of afterEachTest.splice(0).reverse()) await c();
});

/**
 * For the hermetic pipeline tests on a stand-in ffmpeg: a scratch folder (`reeltime-<name>-…`),
 * the real embedded bus and filesystem archive in it, started, and a 4 KiB source file with an
 * MP4 header (an ftyp box) so the input sniffer takes it for a video. All of it is shut down and
 * removed after the test.
 */
export async function scratchPipeline(name: string, sourceName = "clip.mp4") {
  const dir = await mkdtemp(join(tmpdir(), `reeltime-${name}-`));
  afterEachTest.push(() => rm(dir, { recursive: true, force: true }));
  const env = { ...loadEnv(ConnectionEnv, {}), REELTIME_DATA_DIR: join(dir, "data") };
  const bus = await createBus({ ...env, REELTIME_BUS: "embedded" });
  const archive = await createArchive({ ...env, REELTIME_ARCHIVE: "fs" });
  await bus.start();
  await archive.start();
  afterEachTest.push(
    () => archive.shutdown(),
    () => bus.shutdown(),
  );
  const source = join(dir, sourceName);
  await writeFile(
    source,
    new Uint8Array([0, 0, 0, 24, ...new TextEncoder().encode("ftypisom"), ...Array(4084).fill(0)]),
  );
  return { dir, bus, archive, source };
}

/** Copies archive objects under `prefix` to `dir`, keeping their relative paths. */
export async function exportTo(archive: Archive, prefix: string, dir: string): Promise<void> {
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
