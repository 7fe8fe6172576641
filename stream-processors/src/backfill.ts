import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { Archive, SearchStore, StoredEvent } from "@reeltime/connectors";
import { archivePrefix, type Column, FAMILIES, familyColumns, withoutPrivateFields } from "@reeltime/events";

/** Rebuilds a nested event from its flat Parquet row (the inverse of the archiver's flattening). */
export function rowToEvent(row: Record<string, unknown>, columns: Column[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of columns) {
    let v = row[c.name];
    if (v === null || v === undefined) continue;
    if (c.json && typeof v === "string") v = JSON.parse(v);
    else if (c.type === "timestamp") v = new Date(v as Date).toISOString();
    else if (typeof v === "bigint") v = Number(v);
    let node = out;
    for (const p of c.path.slice(0, -1)) {
      node[p] ??= {};
      node = node[p] as Record<string, unknown>;
    }
    node[c.path.at(-1)!] = v;
  }
  return out;
}

const HOUR = 3600_000;

/** Archive prefixes of every family's hourly partitions that overlap [from, to). */
export function hourPrefixes(from: Date, to: Date): string[] {
  const out: string[] = [];
  const pad = (n: number) => String(n).padStart(2, "0");
  for (let t = Math.floor(from.getTime() / HOUR) * HOUR; t < to.getTime(); t += HOUR) {
    const d = new Date(t);
    const part = `dt=${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}/hour=${pad(d.getUTCHours())}/`;
    for (const f of FAMILIES) out.push(`${archivePrefix.family(f)}${part}`);
  }
  return out;
}

export interface BackfillProgress {
  files: number;
  filesDone: number;
  events: number;
  indexed: number;
  duplicates: number;
  rejected: number;
}

/**
 * Re-indexes a time range from the Parquet archive into the search store (the batch consumer):
 * lists the hourly partitions, reads each file and indexes its events by event_id, so running it
 * twice is harmless. Events outside [from, to) in a partly covered hour are skipped.
 */
export async function backfill(
  deps: { archive: Archive; search: SearchStore },
  range: { from: Date; to: Date },
  onProgress: (p: BackfillProgress) => void = () => undefined,
): Promise<BackfillProgress> {
  const objects = [];
  // Names starting with _ or . are compaction's staging (Athena and Hive skip them too).
  for (const prefix of hourPrefixes(range.from, range.to))
    for (const o of await deps.archive.list(prefix))
      if (o.key.endsWith(".parquet") && !/^[_.]/.test(o.key.slice(o.key.lastIndexOf("/") + 1))) objects.push(o);
  const progress: BackfillProgress = {
    files: objects.length,
    filesDone: 0,
    events: 0,
    indexed: 0,
    duplicates: 0,
    rejected: 0,
  };
  onProgress(progress);
  if (objects.length === 0) return progress;
  const dir = await mkdtemp(join(tmpdir(), "reeltime-backfill-"));
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    await conn.run("SET TimeZone = 'UTC'");
    for (const [i, o] of objects.entries()) {
      const family = FAMILIES.find((f) => o.key.startsWith(archivePrefix.family(f)))!;
      const columns = familyColumns(family);
      // A file name per object: DuckDB caches what it read by path, so rewriting one path
      // within the same instant could serve the previous object's bytes.
      const file = join(dir, `part-${i}.parquet`);
      await writeFile(file, await deps.archive.get(o.key));
      const reader = await conn.runAndReadAll(`SELECT * FROM read_parquet('${file.replaceAll("'", "''")}')`);
      await rm(file, { force: true });
      const events = reader
        .getRowObjectsJS()
        // The archive keeps the contract's private fields; the search copy never does.
        .map((r) => withoutPrivateFields(rowToEvent(r as Record<string, unknown>, columns) as StoredEvent))
        .filter((e) => {
          const t = Date.parse(e.client_ts);
          return t >= range.from.getTime() && t < range.to.getTime();
        });
      for (let i = 0; i < events.length; i += 2000) {
        const r = await deps.search.index(events.slice(i, i + 2000));
        progress.indexed += r.indexed;
        progress.duplicates += r.duplicates;
        progress.rejected += r.rejected.length;
      }
      progress.events += events.length;
      progress.filesDone++;
      onProgress(progress);
    }
  } finally {
    conn.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
  return progress;
}
