import { hostname } from "node:os";
import type { Archive } from "@reeltime/connectors";
import { ReeltimeError } from "@reeltime/runtime";
import { v7 as uuidv7 } from "uuid";
import { liveKeys } from "./name.ts";

/** A lease not renewed for this long belongs to a publisher that died: another may take the name. */
export const LEASE_STALE_MS = 10_000;

interface LeaseBody {
  owner: string;
  host: string;
  pid: number;
  started_at: string;
  renewed_at: number;
}

/**
 * Keeps a live stream's name to one publisher across processes and machines: a lease object in
 * the archive (`live/<name>/lease.json`), created only if absent, renewed while the stream runs,
 * deleted when it stops. A lease older than {@link LEASE_STALE_MS} is taken over.
 */
export class LiveLease {
  readonly #archive: Archive;
  readonly #key: string;
  readonly #name: string;
  readonly #now: () => number;
  readonly #body: LeaseBody;

  constructor(archive: Archive, name: string, now: () => number = Date.now) {
    this.#archive = archive;
    this.#name = name;
    this.#key = liveKeys(name).lease;
    this.#now = now;
    this.#body = {
      owner: uuidv7(),
      host: hostname(),
      pid: process.pid,
      started_at: new Date(now()).toISOString(),
      renewed_at: now(),
    };
  }

  /** Takes the name, or throws REELTIME_ERR_LIVE_BUSY naming who holds it. */
  async acquire(): Promise<void> {
    if (await this.#archive.put(this.#key, this.#encode(), { ifAbsent: true, contentType: "application/json" })) return;
    const held = await this.#read();
    if (held && this.#now() - held.renewed_at < LEASE_STALE_MS)
      throw new ReeltimeError(
        "REELTIME_ERR_LIVE_BUSY",
        `live stream "${this.#name}" is already being published (pid ${held.pid} on ${held.host}, since ${held.started_at}): stop it first or pick another name`,
      );
    // A stale lease: its publisher is gone. Remove it, then race for it like a new one.
    await this.#archive.delete([this.#key]);
    if (!(await this.#archive.put(this.#key, this.#encode(), { ifAbsent: true, contentType: "application/json" })))
      throw new ReeltimeError(
        "REELTIME_ERR_LIVE_BUSY",
        `live stream "${this.#name}" was taken by another publisher just now: pick another name`,
      );
  }

  /** Marks the lease alive (call every few seconds). */
  async renew(): Promise<void> {
    this.#body.renewed_at = this.#now();
    await this.#archive.put(this.#key, this.#encode(), { contentType: "application/json" });
  }

  /** Gives the name back, if this lease still holds it. */
  async release(): Promise<void> {
    const held = await this.#read();
    if (held?.owner === this.#body.owner) await this.#archive.delete([this.#key]);
  }

  #encode(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(this.#body));
  }

  async #read(): Promise<LeaseBody | undefined> {
    try {
      return JSON.parse(new TextDecoder().decode(await this.#archive.get(this.#key))) as LeaseBody;
    } catch (err) {
      if (err instanceof ReeltimeError && err.code === "REELTIME_ERR_NOT_FOUND") return undefined;
      if (err instanceof SyntaxError) return undefined;
      throw err;
    }
  }
}
