import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";

/** Where a tail stands: the file (by inode) and the byte after the last line handed on. */
export interface TailPosition {
  inode: number;
  offset: number;
}

/** Lines read from a tail, and the position to commit once they have been handed on. */
export interface TailRead {
  lines: string[];
  next: TailPosition;
}

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/**
 * Reads a log file that another process appends to, whole lines only, from a position that
 * survives restarts. It follows the file across rotation (renamed away and created again: the
 * old file is read to its end first, then the new one from its start) and truncation (a file
 * shorter than the position is read again from its start). A line is handed on at most once
 * per committed position; a partial last line waits for its newline.
 */
export class LogTail {
  readonly #path: string;
  #fd: number | undefined;
  #position: TailPosition | undefined;

  /** `position`: where a previous run stopped (ignored when it names another file). */
  constructor(path: string, position?: TailPosition) {
    this.#path = path;
    this.#position = position;
  }

  /** The committed position, or undefined before the file was first opened. */
  get position(): TailPosition | undefined {
    return this.#position;
  }

  /** Up to `maxBytes` of complete lines available now (none while the file does not exist). */
  read(maxBytes = 1 << 20): TailRead {
    const pos = this.#open();
    if (this.#fd === undefined || pos === undefined) return { lines: [], next: { inode: 0, offset: 0 } };
    const size = fstatSync(this.#fd).size;
    if (size < pos.offset) pos.offset = 0;
    const want = Math.min(size - pos.offset, maxBytes);
    if (want > 0) {
      const buf = Buffer.alloc(want);
      const got = readSync(this.#fd, buf, 0, want, pos.offset);
      const end = buf.subarray(0, got).lastIndexOf(0x0a);
      if (end >= 0) {
        const lines = buf
          .subarray(0, end)
          .toString("utf8")
          .split("\n")
          .filter((l) => l !== "");
        return { lines, next: { inode: pos.inode, offset: pos.offset + end + 1 } };
      }
    }
    // Nothing complete to read: when the path is another file now, this one was rotated away
    // and is done; go on with the new one.
    if (inodeOf(this.#path) !== pos.inode) {
      this.#close();
      return this.read(maxBytes);
    }
    return { lines: [], next: { ...pos } };
  }

  /** Marks the lines of a read as handed on. */
  commit(next: TailPosition): void {
    if (this.#position && this.#position.inode === next.inode) this.#position = next;
  }

  /** Closes the file. */
  close(): void {
    this.#close();
  }

  #open(): TailPosition | undefined {
    if (this.#fd !== undefined) return this.#position;
    let fd: number;
    try {
      fd = openSync(this.#path, "r");
    } catch {
      return undefined;
    }
    const inode = fstatSync(fd).ino;
    this.#fd = fd;
    if (this.#position?.inode !== inode) this.#position = { inode, offset: 0 };
    return this.#position;
  }

  #close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
