import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { mkdir, readdir, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { archiveConformance } from "@reeltime/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { createFsArchive } from "../../src/archive/fs/index.ts";

const dataDir = mkdtempSync(join(tmpdir(), "reeltime-fs-archive-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const writer = fileURLToPath(new URL("./fs-writer.ts", import.meta.url));

const hasTemp = (root: string) => {
  try {
    return readdirSync(join(root, ".tmp")).some((f) => statSync(join(root, ".tmp", f)).size > 0);
  } catch {
    return false;
  }
};

/** Runs fs-writer.ts and SIGKILLs it once its temp file has bytes; true when killed mid-write. */
async function killMidWrite(dir: string, key: string, size: number): Promise<boolean> {
  const root = join(dir, "archive");
  const child = spawn(process.execPath, [writer, dir, key, String(size)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => {
    out += String(d);
  });
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  let killed = false;
  while (child.exitCode === null && !killed) {
    if (hasTemp(root)) killed = child.kill("SIGKILL");
    else await new Promise((r) => setTimeout(r, 1));
  }
  await exited;
  return killed && !out.includes("done");
}

archiveConformance({
  adapter: "fs",
  prefix: "conformance/",
  open: async () => createFsArchive({ REELTIME_DATA_DIR: dataDir }),
  interruptedPut: async (key, body) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await killMidWrite(dataDir, key, body.byteLength * (attempt + 1))) return;
      await createFsArchive({ REELTIME_DATA_DIR: dataDir }).delete([key]);
    }
    throw new Error("the writer finished every time before it could be killed");
  },
});

describe("fs archive", () => {
  it("keeps temp files out of the key space and removes stale ones on start", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reeltime-fs-stale-"));
    try {
      expect(await killMidWrite(dir, "a/b.bin", 24 * 1024 * 1024)).toBe(true);
      const tempDir = join(dir, "archive", ".tmp");
      const left = await readdir(tempDir);
      expect(left.length).toBe(1);
      const archive = createFsArchive({ REELTIME_DATA_DIR: dir }, { staleTempMs: 60_000 });
      expect(await archive.list("")).toEqual([]);
      expect(await readdir(tempDir)).toEqual(left);
      const old = new Date(Date.now() - 120_000);
      await utimes(join(tempDir, left[0]!), old, old);
      const restarted = createFsArchive({ REELTIME_DATA_DIR: dir }, { staleTempMs: 60_000 });
      await restarted.start();
      expect(await readdir(tempDir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("never follows a key out of its root", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reeltime-fs-root-"));
    try {
      writeFileSync(join(dir, "secret"), "outside");
      const archive = createFsArchive({ REELTIME_DATA_DIR: dir });
      await expect(archive.get("../secret")).rejects.toMatchObject({ code: "REELTIME_ERR_ARCHIVE_KEY" });
      await expect(archive.delete(["../secret"])).rejects.toMatchObject({ code: "REELTIME_ERR_ARCHIVE_KEY" });
      expect(statSync(join(dir, "secret")).isFile()).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a key that is also a folder of other keys gives a clear error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reeltime-fs-conflict-"));
    try {
      const archive = createFsArchive({ REELTIME_DATA_DIR: dir });
      await archive.put("a/b", new Uint8Array([1]));
      await expect(archive.put("a/b/c", new Uint8Array([2]))).rejects.toMatchObject({
        code: "REELTIME_ERR_ARCHIVE_KEY",
      });
      await mkdir(join(dir, "archive", "x", "y"), { recursive: true });
      expect(await archive.exists("x/y")).toBe(false);
      expect((await archive.list("")).map((o) => o.key)).toEqual(["a/b"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
