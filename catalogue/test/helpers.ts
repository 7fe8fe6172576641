import type { Database } from "@reeltime/database";
import type { VideoRecord } from "@reeltime/events";
import { unavailable } from "@reeltime/runtime";
import type { VideoIndex, VideoRecordArchive } from "../src/updater.ts";

/** A database that can be switched down: every call then fails as PostgreSQL down would. */
export function switchable(db: Database): Database & { down: boolean } {
  const gate = () => {
    if (s.down) throw unavailable("database", "connect ECONNREFUSED 127.0.0.1:5432 (switched down by the test)");
  };
  const s = {
    down: false,
    kind: db.kind,
    query: (async (sql: string, params?: readonly unknown[]) => {
      gate();
      return db.query(sql, params);
    }) as Database["query"],
    transaction: (async (fn: Parameters<Database["transaction"]>[0]) => {
      gate();
      return db.transaction(fn);
    }) as Database["transaction"],
    close: () => db.close(),
  };
  return s;
}

/** The search side of the updater: the latest record per video, and whether it is down. */
export class RecordingIndex implements VideoIndex {
  readonly records = new Map<string, VideoRecord>();
  calls = 0;
  down = false;
  async upsertVideos(records: VideoRecord[]): Promise<void> {
    this.calls++;
    if (this.down) throw unavailable("search", "switched down by the test");
    for (const r of records) this.records.set(`${r.app_id}/${r.video_id}`, structuredClone(r));
  }
}

/** The archive side of the updater: every record it was given, in order, and whether it is down. */
export class RecordingArchive implements VideoRecordArchive {
  readonly written: VideoRecord[] = [];
  down = false;
  async archiveVideos(records: VideoRecord[]): Promise<void> {
    if (this.down) throw unavailable("archive", "switched down by the test");
    this.written.push(...records.map((r) => structuredClone(r)));
  }
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
