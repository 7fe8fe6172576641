import type { Archive, ObjectInfo } from "@reeltime/connectors";
import { archivePrefix, FAMILIES, type Family } from "@reeltime/events";
import { ReeltimeError } from "@reeltime/runtime";
import { type Fingerprint, ParquetMerger } from "./merge.ts";
import { compactedName, compareOffsets, type PartName, parseName, splitSuperseded } from "./names.ts";

export interface CompactOptions {
  /** Only hours that ended at or before this time are touched (closed hours). */
  before: Date;
  /** Families to compact (default: all). */
  families?: readonly Family[];
  /** Report what would be merged without writing or deleting anything. */
  dryRun?: boolean;
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
  rows: number;
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
  return new ReeltimeError("REELTIME_ERR_COMPACTION", message, 1);
}

/**
 * Merges the small Parquet files of closed hours, per bus partition, into one file each.
 * The swap: (1) write `<source>-<first>-<last>.compacted.parquet`, (2) read it back and check
 * it holds exactly the inputs' rows (count, checksum, multiset difference), (3) delete the
 * inputs. Readers that apply the supersession rule (`visibleArchive`) see the inputs or the
 * merged file, never both; a crash between (1) and (3) leaves leftovers the next run deletes.
 */
export async function compact(archive: Archive, opts: CompactOptions): Promise<CompactReport> {
  const merger = new ParquetMerger();
  const report: CompactReport = { hours: 0, groups: [], filesBefore: 0, filesAfter: 0, leftoversDeleted: 0, rows: 0 };
  try {
    for (const family of opts.families ?? FAMILIES) {
      const objects = (await archive.list(archivePrefix.family(family))).filter((o) => o.key.endsWith(".parquet"));
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
          const merged = await merger.merge(bodies, { orderBy: ["client_ts", "event_id"] });
          await archive.put(key, merged.bytes, { contentType: "application/vnd.apache.parquet" });
          const check = await merger.verify(bodies, await archive.get(key), merged.columns);
          const same =
            check.difference === 0 &&
            check.before.rows === check.after.rows &&
            check.before.checksum === check.after.checksum &&
            check.before.rows === merged.expected.rows;
          if (!same) {
            // The inputs stay; the merged file must go, or readers would drop them in its favour.
            await archive.delete([key]);
            throw failed(
              `merging ${inputs.length} files into ${key} changed the content (rows ${check.before.rows} → ${check.after.rows}, ` +
                `checksum ${check.before.checksum} → ${check.after.checksum}, ${check.difference} rows differ); nothing was deleted`,
            );
          }
          await archive.delete(inputs.filter((k) => k !== key));
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
