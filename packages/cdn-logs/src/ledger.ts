import { createHash } from "node:crypto";
import type { Archive } from "@reeltime/connectors";

/** Where the import ledger lives in the archive: one small object per imported file. */
export const LEDGER_PREFIX = "_state/cdn-import/";

export interface LedgerEntry {
  file: string;
  identity: string;
  lines: number;
  events: number;
  dead_letters: number;
  imported_at: string;
}

/**
 * The files imported so far, by identity (the S3 ETag with key and size, or a local file's
 * SHA-256), kept in the archive so every host and every run sees the same ledger. An entry is
 * written once the file's events and dead letters are on the bus; a crash before that imports
 * the file again, with the same event ids (stores keep one copy per id).
 */
export class ImportLedger {
  readonly #archive: Archive;
  constructor(archive: Archive) {
    this.#archive = archive;
  }
  static keyOf(identity: string): string {
    return `${LEDGER_PREFIX}${createHash("sha256").update(identity).digest("hex")}.json`;
  }
  has(identity: string): Promise<boolean> {
    return this.#archive.exists(ImportLedger.keyOf(identity));
  }
  async record(entry: LedgerEntry): Promise<void> {
    await this.#archive.put(ImportLedger.keyOf(entry.identity), Buffer.from(JSON.stringify(entry)), {
      contentType: "application/json",
      ifAbsent: true,
    });
  }
}
