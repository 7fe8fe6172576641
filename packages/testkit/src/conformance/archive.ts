import { createHash } from "node:crypto";
import type { Archive } from "@reeltime/connectors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** What an adapter's test file hands to {@link archiveConformance}. */
export interface ArchiveHarness {
  /** Shown in the grid: `archive conformance: <adapter>`. */
  adapter: string;
  /** A new, independent instance over the same storage: calling it again is a restart. */
  open(): Promise<Archive>;
  /**
   * Starts writing `body` at `key` and makes that write die mid-way (fs: SIGKILL of the writing
   * process while its temp file grows; S3: a part upload fails). Resolves once the writer is gone.
   */
  interruptedPut(key: string, body: Uint8Array): Promise<void>;
  /** An instance whose backing service is down (S3: a closed port); omitted where none exists. */
  unreachable?: () => Promise<Archive>;
  /** Every key the suite writes starts with this (a shared bucket stays tidy). */
  prefix: string;
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Deterministic pseudo-random bytes (incompressible, so sizes are real). */
export function payload(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

async function rejection(p: Promise<unknown>): Promise<{ code?: string; retryable?: boolean; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string; retryable?: boolean; message: string };
  }
  throw new Error("expected the call to reject, it resolved");
}

const LARGE = 12 * 1024 * 1024;

/** The Archive port's promises, run unchanged against every adapter. */
export function archiveConformance(h: ArchiveHarness): void {
  describe(`archive conformance: ${h.adapter}`, () => {
    let archive: Archive;
    const k = (rest: string) => `${h.prefix}${rest}`;

    beforeAll(async () => {
      archive = await h.open();
      await archive.start();
    });
    afterAll(async () => {
      await archive?.delete((await archive.list(h.prefix)).map((o) => o.key));
      await archive?.shutdown();
    });

    it("put then get returns the same bytes; exists tells present from absent", async () => {
      const body = bytes("hello, archive");
      await archive.put(k("basic/one.txt"), body, { contentType: "text/plain" });
      expect(text(await archive.get(k("basic/one.txt")))).toBe("hello, archive");
      expect(await archive.exists(k("basic/one.txt"))).toBe(true);
      expect(await archive.exists(k("basic/missing.txt"))).toBe(false);
      const err = await rejection(archive.get(k("basic/missing.txt")));
      expect(err.code).toBe("REELTIME_ERR_NOT_FOUND");
    });

    it("stores an empty object", async () => {
      await archive.put(k("basic/empty.bin"), new Uint8Array(0));
      expect((await archive.get(k("basic/empty.bin"))).byteLength).toBe(0);
      expect((await archive.list(k("basic/empty"))).map((o) => o.size)).toEqual([0]);
    });

    it("lists every object under a prefix, sorted by key, with sizes", async () => {
      const keys = ["list/b/2.parquet", "list/a/1.parquet", "list/b/10.parquet", "list/a/0.parquet", "lists/x"];
      for (const [i, key] of keys.entries()) await archive.put(k(key), payload(10 + i, i + 1));
      const under = await archive.list(k("list/"));
      expect(under.map((o) => o.key)).toEqual(
        ["list/a/0.parquet", "list/a/1.parquet", "list/b/10.parquet", "list/b/2.parquet"].map(k),
      );
      expect(under.map((o) => o.size)).toEqual([13, 11, 12, 10]);
      for (const o of under) expect(o.lastModified).toBeInstanceOf(Date);
      expect((await archive.list(k("list"))).map((o) => o.key)).toContain(k("lists/x"));
      expect((await archive.list(k("list/b/1"))).map((o) => o.key)).toEqual([k("list/b/10.parquet")]);
      expect(await archive.list(k("nothing-here/"))).toEqual([]);
    });

    it("overwriting a key replaces the whole object", async () => {
      await archive.put(k("overwrite/x"), payload(200_000, 7));
      await archive.put(k("overwrite/x"), bytes("short"));
      expect(text(await archive.get(k("overwrite/x")))).toBe("short");
      expect((await archive.list(k("overwrite/"))).map((o) => o.size)).toEqual([5]);
    });

    it("a create-only put writes once: racing writers, exactly one wins, the stored object is the winner's", async () => {
      expect(await archive.put(k("once/x"), bytes("first"), { ifAbsent: true })).toBe(true);
      expect(await archive.put(k("once/x"), bytes("second"), { ifAbsent: true })).toBe(false);
      expect(text(await archive.get(k("once/x")))).toBe("first");
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => archive.put(k("once/race"), bytes(`writer-${i}`), { ifAbsent: true })),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(text(await archive.get(k("once/race")))).toBe(`writer-${results.indexOf(true)}`);
      expect((await archive.list(k("once/"))).map((o) => o.key)).toEqual([k("once/race"), k("once/x")]);
    });

    it("delete removes objects; deleting an absent key is a no-op", async () => {
      await archive.put(k("delete/a"), bytes("a"));
      await archive.put(k("delete/b"), bytes("b"));
      await archive.delete([k("delete/a"), k("delete/never-written")]);
      expect(await archive.exists(k("delete/a"))).toBe(false);
      expect((await archive.list(k("delete/"))).map((o) => o.key)).toEqual([k("delete/b")]);
    });

    it("round-trips a 12 MB object; a reader during the write sees nothing or all of it", async () => {
      const body = payload(LARGE, 42);
      const key = k("large/12mb.bin");
      let done = false;
      const writing = archive.put(key, body).finally(() => {
        done = true;
      });
      const seen: number[] = [];
      while (!done) {
        const got = await archive.get(key).catch((err: { code?: string }) => {
          if (err.code !== "REELTIME_ERR_NOT_FOUND") throw err;
          return undefined;
        });
        seen.push(got?.byteLength ?? 0);
        await new Promise((r) => setTimeout(r, 5));
      }
      await writing;
      for (const size of seen) expect([0, LARGE]).toContain(size);
      const back = await archive.get(key);
      expect(back.byteLength).toBe(LARGE);
      expect(sha(back)).toBe(sha(body));
      expect((await archive.list(k("large/"))).map((o) => o.size)).toEqual([LARGE]);
    });

    it("a write that dies mid-way leaves nothing at the key, also for a new instance", async () => {
      const key = k("interrupted/obj.bin");
      await h.interruptedPut(key, payload(LARGE, 9));
      expect(await archive.exists(key)).toBe(false);
      expect((await rejection(archive.get(key))).code).toBe("REELTIME_ERR_NOT_FOUND");
      const fresh = await h.open();
      try {
        expect(await fresh.exists(key)).toBe(false);
        expect(await fresh.list(k("interrupted/"))).toEqual([]);
      } finally {
        await fresh.shutdown();
      }
    });

    it("loses nothing across a restart", async () => {
      const bodies = Array.from({ length: 5 }, (_, i) => payload(1000 * (i + 1), i + 3));
      for (const [i, b] of bodies.entries()) await archive.put(k(`restart/${i}.bin`), b);
      const again = await h.open();
      try {
        const listed = await again.list(k("restart/"));
        expect(listed.map((o) => o.size)).toEqual(bodies.map((b) => b.byteLength));
        for (const [i, b] of bodies.entries()) expect(sha(await again.get(k(`restart/${i}.bin`)))).toBe(sha(b));
      } finally {
        await again.shutdown();
      }
    });

    it("rejects invalid keys (traversal, empty segments, hidden names) and writes nothing", async () => {
      const bad = [
        "",
        "/abs",
        `${h.prefix}a//b`,
        `${h.prefix}../escape`,
        "../escape",
        `${h.prefix}a/../../b`,
        `${h.prefix}./a`,
        `${h.prefix}.hidden`,
        `${h.prefix}a\\b`,
        `${h.prefix}nul\u0000x`,
        `${h.prefix}space here`,
        `${h.prefix}trailing/`,
        `${h.prefix}${"x".repeat(1100)}`,
      ];
      for (const key of bad) {
        expect((await rejection(archive.put(key, bytes("x")))).code, key).toBe("REELTIME_ERR_ARCHIVE_KEY");
        expect((await rejection(archive.get(key))).code, key).toBe("REELTIME_ERR_ARCHIVE_KEY");
      }
      expect((await rejection(archive.list("../"))).code).toBe("REELTIME_ERR_ARCHIVE_KEY");
      await archive.put(k("events/event_type=playback/dt=2024-01-01/hour=00/0-10-99.parquet"), bytes("ok"));
      expect(await archive.exists(k("events/event_type=playback/dt=2024-01-01/hour=00/0-10-99.parquet"))).toBe(true);
    });

    it.skipIf(!h.unreachable)("a backing service that is down gives a clear, retryable error", async () => {
      const down = await h.unreachable!();
      const t0 = Date.now();
      const err = await rejection(down.put(k("down/x"), bytes("x")));
      expect(err.code).toBe("REELTIME_ERR_ARCHIVE_UNAVAILABLE");
      expect(err.retryable).toBe(true);
      expect(err.message).toMatch(/archive unavailable/);
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect((await rejection(down.list(k("down/")))).code).toBe("REELTIME_ERR_ARCHIVE_UNAVAILABLE");
      const health = await down.health();
      expect(health.ok).toBe(false);
      await down.shutdown();
    });
  });
}
