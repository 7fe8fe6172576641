import { randomUUID } from "node:crypto";
import type { Archive } from "@reeltime/connectors";

/** One key as a checkpoint keeps it. */
export interface SavedKey {
  key: string;
  state: unknown;
  final: boolean;
  timedOut?: boolean;
  lastSeenAt: number;
}

/**
 * One object of a partition's checkpoint log: a base holds every key, a delta only the keys
 * changed (`put`) or dropped (`del`) since the object before it. `touched` are the keys whose
 * records are written after this object is stored: a restart writes them again, in case it
 * came between the two.
 */
export interface LogObject {
  version: 2;
  kind: "base" | "delta";
  n: number;
  offset?: string;
  put: SavedKey[];
  del: string[];
  touched: string[];
  /** Who wrote it: one id per StateLog, so a write retried after a lost answer knows its own object. */
  writer?: string;
}

/** The checkpoint written before the log existed: every key with all its events. */
interface LegacySnapshot {
  version: 1;
  offset?: string;
  keys: { key: string; events: unknown[]; final: boolean; timedOut?: boolean; lastSeenAt: number }[];
}

export interface Restored {
  keys: Map<string, SavedKey>;
  /** Number of the last object (the next write is n + 1); -1 when there is none. */
  n: number;
  /** Bytes of the last base and of the deltas written after it. */
  baseBytes: number;
  deltaBytes: number;
  touched: string[];
  /** The events of each key of a legacy snapshot, to be folded again. */
  legacy?: LegacySnapshot["keys"];
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();
/** `<n>.json`; logs written before the number alone was the name also have `<n>.base.json`, `<n>.delta.json`. */
const NAME = /\/(\d{12})(?:\.(base|delta))?\.json$/;

/**
 * A partition's state as a log of objects in the Archive (`<prefix>/<n>.json`, a base or a
 * delta): each checkpoint writes what changed since the one before, and a new base once the
 * deltas since the last one outweigh it REBASE_RATIO times (keyed-fold.ts: so writes stay
 * proportional to the changes, and restores read at most about 1 + that ratio times the state). Objects are written create-only under their
 * number alone, whatever their kind: a second writer of the same number means the partition
 * changed hands. A write whose answer was lost and was sent again finds its own object (same
 * writer id) and counts as stored.
 */
export class StateLog {
  readonly #archive: Archive;
  readonly #prefix: string;
  readonly #legacyKey: string;
  readonly #writer = randomUUID();

  constructor(archive: Archive, prefix: string, legacyKey: string) {
    this.#archive = archive;
    this.#prefix = prefix.endsWith("/") ? prefix : `${prefix}/`;
    this.#legacyKey = legacyKey;
  }

  #name(n: number) {
    return `${this.#prefix}${String(n).padStart(12, "0")}.json`;
  }

  async restore(): Promise<Restored> {
    const objects = (await this.#archive.list(this.#prefix))
      .map((o) => ({ key: o.key, m: NAME.exec(o.key) }))
      .filter((o): o is { key: string; m: RegExpExecArray } => o.m !== null)
      .map((o) => ({ key: o.key, n: Number(o.m[1]) }))
      .sort((a, b) => a.n - b.n);
    const out: Restored = { keys: new Map(), n: -1, baseBytes: 0, deltaBytes: 0, touched: [] };
    if (objects.length === 0) {
      if (await this.#archive.exists(this.#legacyKey)) {
        const snap = JSON.parse(decoder.decode(await this.#archive.get(this.#legacyKey))) as LegacySnapshot;
        out.legacy = snap.keys;
      }
      return out;
    }
    // From the newest object back to the last base (its kind is in the object), then applied in order.
    const chain: { bytes: number; obj: LogObject }[] = [];
    for (let i = objects.length - 1; i >= 0; i--) {
      const bytes = await this.#archive.get(objects[i]!.key);
      const obj = JSON.parse(decoder.decode(bytes)) as LogObject;
      chain.unshift({ bytes: bytes.length, obj });
      if (obj.kind === "base") break;
    }
    for (const { bytes, obj } of chain) {
      if (obj.kind === "base") {
        out.keys.clear();
        out.baseBytes = bytes;
      } else out.deltaBytes += bytes;
      for (const k of obj.del) out.keys.delete(k);
      for (const k of obj.put) out.keys.set(k.key, k);
      out.n = obj.n;
      out.touched = obj.touched;
    }
    return out;
  }

  /**
   * Writes object n; false when it exists already and another writer wrote it. When this
   * writer's own earlier attempt is there with other contents (its answer was lost, and the
   * caller folded more before trying again), that object is a valid, older state of this
   * writer's: the new contents go in the next number instead (`n` in the answer is the one
   * written). Counting the older object as this write would lose what was folded since.
   */
  async write(obj: LogObject): Promise<{ stored: boolean; bytes: number; n: number }> {
    for (let n = obj.n; ; n++) {
      const text = JSON.stringify({ ...obj, n, writer: this.#writer });
      const body = encoder.encode(text);
      const key = this.#name(n);
      if (await this.#archive.put(key, body, { contentType: "application/json", ifAbsent: true }))
        return { stored: true, bytes: body.length, n };
      const there = decoder.decode(await this.#archive.get(key));
      // The same bytes: a write sent again after a lost answer.
      if (there === text) return { stored: true, bytes: body.length, n };
      if ((JSON.parse(there) as LogObject).writer !== this.#writer) return { stored: false, bytes: body.length, n };
    }
  }

  /** Deletes the objects a new base at `n` made obsolete (and the legacy snapshot). */
  async prune(n: number): Promise<void> {
    const old = (await this.#archive.list(this.#prefix))
      .filter((o) => {
        const m = NAME.exec(o.key);
        return m !== null && Number(m[1]) < n;
      })
      .map((o) => o.key);
    if (await this.#archive.exists(this.#legacyKey)) old.push(this.#legacyKey);
    if (old.length > 0) await this.#archive.delete(old);
  }
}
