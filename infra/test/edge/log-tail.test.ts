import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LogTail } from "../../src/local/edge/log-tail.ts";

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "reeltime-log-tail-"));
  file = join(dir, "access.log");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Reads and commits until nothing is left; the lines in order. */
function drain(tail: LogTail): string[] {
  const out: string[] = [];
  for (;;) {
    const { lines, next } = tail.read();
    if (lines.length === 0) return out;
    out.push(...lines);
    tail.commit(next);
  }
}

describe("LogTail", () => {
  it("reads nothing while the file does not exist, then whole lines only", () => {
    const tail = new LogTail(file);
    expect(tail.read().lines).toEqual([]);
    writeFileSync(file, "a\tb\nc\td\npart");
    expect(drain(tail)).toEqual(["a\tb", "c\td"]);
    appendFileSync(file, "ial\n");
    expect(drain(tail)).toEqual(["partial"]);
    expect(tail.position?.offset).toBe(Buffer.byteLength("a\tb\nc\td\npartial\n"));
    tail.close();
  });

  it("hands a line on again until its read is committed", () => {
    writeFileSync(file, "one\n");
    const tail = new LogTail(file);
    expect(tail.read().lines).toEqual(["one"]);
    expect(tail.read().lines).toEqual(["one"]);
    tail.commit(tail.read().next);
    expect(tail.read().lines).toEqual([]);
    tail.close();
  });

  it("goes on from a saved position of the same file, and starts over on another file", () => {
    writeFileSync(file, "one\ntwo\n");
    const first = new LogTail(file);
    first.commit(first.read(4).next);
    const saved = first.position!;
    first.close();
    expect(saved.offset).toBe(4);
    const again = new LogTail(file, saved);
    expect(drain(again)).toEqual(["two"]);
    again.close();
    const other = new LogTail(file, { inode: saved.inode + 1, offset: 4 });
    expect(drain(other)).toEqual(["one", "two"]);
    other.close();
  });

  it("after a rotation reads the old file to its end, then the new one from its start", () => {
    writeFileSync(file, "old-1\n");
    const tail = new LogTail(file);
    expect(drain(tail)).toEqual(["old-1"]);
    // logrotate renames; nginx writes one more line to the open (old) file before it reopens.
    renameSync(file, `${file}.1`);
    appendFileSync(`${file}.1`, "old-2\n");
    writeFileSync(file, "new-1\n");
    expect(drain(tail)).toEqual(["old-2", "new-1"]);
    appendFileSync(file, "new-2\n");
    expect(drain(tail)).toEqual(["new-2"]);
    tail.close();
  });

  it("after a truncation reads the file again from its start", () => {
    writeFileSync(file, "one\ntwo\n");
    const tail = new LogTail(file);
    expect(drain(tail)).toEqual(["one", "two"]);
    truncateSync(file, 0);
    appendFileSync(file, "three\n");
    expect(drain(tail)).toEqual(["three"]);
    tail.close();
  });
});
