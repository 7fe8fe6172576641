import type { Archive, ObjectInfo } from "@reeltime/connectors";
import { archivePrefix, FAMILIES, type Family } from "@reeltime/events";
import { ReeltimeError } from "@reeltime/runtime";
import { type Fingerprint, ParquetMerger } from "./merge.ts";
import { compactedName, compareOffsets, type PartName, parseName, splitSuperseded } from "./names.ts";
import { type CompactionStep, recoverFolder, stagedNames } from "./staging.ts";

export interface CompactOptions {
  /** Only hours that ended at or before this time are touched (closed hours). */
  before: Date;
  /** Families to compact (default: all). */
  families?: readonly Family[];
  /** Report what would be merged without writing or deleting anything. */
  dryRun?: boolean;
  /** Called after each step of a swap (tests stop a run there to play a crash). */
  onStep?: (step: CompactionStep, key: string) => Promise<void> | void;
}

export interface CompactedGroup {
  key: string;
  inputs: string[];
  before: Fingerprint;
  after: Fingerprint;
}

export interface CompactReport {
  hours: number;
  groups: CompactedGroup[];
  filesBefore: number;
  filesAfter: number;
  /** Leftovers of an interrupted run, already covered by a compacted file, now deleted. */
  leftoversDeleted: number;
  /** Interrupted swaps found at the start: finished (their inputs were being deleted) or undone. */
  recovered: { finished: number; undone: number };
  rows: number;
  /** Rows dropped because another row of the group had the same event_id. */
  duplicates: number;
}

const HOUR = /dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/$/;

/** The end of the hour a `…/dt=YYYY-MM-DD/hour=HH/` folder holds, or undefined when not one. */
export function hourEnd(folder: string): Date | undefined {
  const m = HOUR.exec(folder);
  if (!m) return undefined;
  const start = Date.parse(`${m[1]}T${m[2]}:00:00.000Z`);
  return Number.isNaN(start) ? undefined : new Date(start + 3_600_000);
}

const folderOf = (key: string) => key.slice(0, key.lastIndexOf("/") + 1);
const baseOf = (key: string) => key.slice(key.lastIndexOf("/") + 1);

function failed(message: string): ReeltimeError {
  return new ReeltimeError("REELTIME_ERR_COMPACTION", message);
}

/**
 * Merges the small Parquet files of closed hours, per bus partition, into one file each, one
 * row per event_id (a client's retry or a replay archives an event twice).
 *
 * Athena lists S3 itself, so no moment may show a row in two visible files. The swap stages
 * under names Athena/Hive skip (`_`): (1) write `_compacting-<name>.parquet`, (2) read it back
 * and check it (every merged row is an input row, every event_id is there once), (3) write
 * the `_compacting-<name>.json` commit record listing the inputs, (4) delete the inputs,
 * (5) write the final `<source>-<first>-<last>.compacted.parquet`, (6) delete the staged
 * objects. Before (3) a crash is undone (the staged file is deleted); after it, the next run
 * finishes the swap. A reader sees the inputs, then fewer of them while they are deleted,
 * then the merged file: rows can be missing for a moment, never counted twice.
 */
export async function compact(archive: Archive, opts: CompactOptions): Promise<CompactReport> {
  const merger = new ParquetMerger();
  const report: CompactReport = {
    hours: 0,
    groups: [],
    filesBefore: 0,
    filesAfter: 0,
    leftoversDeleted: 0,
    recovered: { finished: 0, undone: 0 },
    rows: 0,
    duplicates: 0,
  };
  const step = async (name: CompactionStep, key: string) => opts.onStep?.(name, key);
  try {
    for (const family of opts.families ?? FAMILIES) {
      let objects = await archive.list(archivePrefix.family(family));
      if (!opts.dryRun) {
        const staged = objects.filter((o) => stagedNames.isStaged(o.key));
        for (const folder of new Set(staged.map((o) => folderOf(o.key)))) {
          const r = await recoverFolder(archive, folder, objects);
          report.recovered.finished += r.finished;
          report.recovered.undone += r.undone;
        }
        if (staged.length > 0) objects = await archive.list(archivePrefix.family(family));
      }
      objects = objects.filter((o) => o.key.endsWith(".parquet") && !stagedNames.isStaged(o.key));
      const byHour = new Map<string, ObjectInfo[]>();
      for (const o of objects) byHour.set(folderOf(o.key), [...(byHour.get(folderOf(o.key)) ?? []), o]);
      for (const [folder, files] of [...byHour].sort(([a], [b]) => a.localeCompare(b))) {
        const end = hourEnd(folder);
        if (!end || end.getTime() > opts.before.getTime()) continue;
        report.hours++;
        report.filesBefore += files.length;
        const { visible, superseded } = splitSuperseded(files);
        if (superseded.length > 0 && !opts.dryRun) {
          await archive.delete(superseded.map((o) => o.key));
          report.leftoversDeleted += superseded.length;
        }
        const bySource = new Map<string, { o: ObjectInfo; name: PartName }[]>();
        let untouched = 0;
        for (const o of visible) {
          const name = parseName(baseOf(o.key));
          if (!name) {
            untouched++;
            continue;
          }
          bySource.set(name.source, [...(bySource.get(name.source) ?? []), { o, name }]);
        }
        for (const [source, parts] of bySource) {
          if (parts.length < 2) {
            untouched += parts.length;
            continue;
          }
          const from = parts.map((p) => p.name.from).reduce((a, b) => (compareOffsets(a, b) <= 0 ? a : b));
          const to = parts.map((p) => p.name.to).reduce((a, b) => (compareOffsets(a, b) >= 0 ? a : b));
          const key = `${folder}${compactedName(source, from, to)}`;
          const inputs = parts.map((p) => p.o.key);
          if (opts.dryRun) {
            report.groups.push({ key, inputs, before: { rows: 0, checksum: "" }, after: { rows: 0, checksum: "" } });
            untouched++;
            continue;
          }
          const bodies = await Promise.all(inputs.map((k) => archive.get(k)));
          const merged = await merger.merge(bodies, { orderBy: ["client_ts", "event_id"], dedupeBy: "event_id" });
          const staged = stagedNames.of(key);
          await archive.put(staged.parquet, merged.bytes, { contentType: "application/vnd.apache.parquet" });
          await step("staged", staged.parquet);
          const check = await merger.verify(bodies, await archive.get(staged.parquet), merged.columns, {
            dedupeBy: "event_id",
          });
          if (!check.ok || check.after.rows !== merged.expected.rows) {
            await archive.delete([staged.parquet]);
            throw failed(
              `merging ${inputs.length} files into ${key} changed the content (rows ${check.before.rows} → ${check.after.rows}, ` +
                `${check.duplicates} duplicates, ${check.difference} rows differ); nothing was deleted`,
            );
          }
          const record = { final: key, inputs: inputs.filter((k) => k !== key) };
          await archive.put(staged.record, new TextEncoder().encode(JSON.stringify(record)), {
            contentType: "application/json",
          });
          await step("committed", staged.record);
          await archive.delete(record.inputs);
          await step("inputs-deleted", key);
          await archive.put(key, merged.bytes, { contentType: "application/vnd.apache.parquet" });
          await step("published", key);
          await archive.delete([staged.parquet, staged.record]);
          report.duplicates += check.duplicates;
          report.groups.push({ key, inputs, before: check.before, after: check.after });
          report.rows += check.after.rows;
          untouched++;
        }
        report.filesAfter += untouched;
      }
    }
    return report;
  } finally {
    await merger.close();
  }
}
