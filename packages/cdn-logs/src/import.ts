import type { Archive, Bus, DeadLetter } from "@reeltime/connectors";
import { ReeltimeError } from "@reeltime/runtime";
import { ImportLedger } from "./ledger.ts";
import { fileLines } from "./lines.ts";
import { lineLetter, publishCdnEvents, publishDeadLetters } from "./publish.ts";
import type { LogFile, LogSource } from "./sources.ts";
import { parseStandardLog } from "./standard.ts";
import type { CdnEvent } from "./to-event.ts";

export interface ImportProgress {
  files: number;
  filesDone: number;
  skipped: number;
  events: number;
  deadLetters: number;
}

export interface ImportReport extends ImportProgress {
  /** Files that could not be read to the end (corrupt gzip, lost connection): not in the ledger, import again. */
  failed: { file: string; error: string }[];
}

export interface ImportOptions {
  appId?: string;
  /** Events published per bus call (default 1,000). */
  batchSize?: number;
  ipv4Bits?: number;
  ipv6Bits?: number;
  onProgress?: (p: ImportProgress) => void;
}

/**
 * Imports CloudFront standard log files into the bus as cdn events, idempotent per file: a file
 * whose identity the ledger holds is skipped without being read; a file is entered in the ledger
 * once its events and dead letters are on the bus. Lines that are not events go to the dead
 * letters with their line number; one bad line, or one unreadable file, stops nothing else. A
 * bus or archive error (a ReeltimeError of theirs) stops the import: nothing is entered for the
 * file in hand, so the next run takes it again.
 */
export async function importCdnLogs(
  deps: { bus: Bus; archive: Archive; source: LogSource },
  opts: ImportOptions = {},
): Promise<ImportReport> {
  const ledger = new ImportLedger(deps.archive);
  const files = await deps.source.list();
  const report: ImportReport = { files: files.length, filesDone: 0, skipped: 0, events: 0, deadLetters: 0, failed: [] };
  opts.onProgress?.({ ...report });
  for (const file of files) {
    if (await ledger.has(file.identity)) report.skipped++;
    else {
      try {
        const r = await importFile(deps, file, opts);
        report.events += r.events;
        report.deadLetters += r.deadLetters;
        await ledger.record({
          file: file.uri,
          identity: file.identity,
          lines: r.lines,
          events: r.events,
          dead_letters: r.deadLetters,
          imported_at: new Date().toISOString(),
        });
      } catch (e) {
        // The bus or the archive failing stops the import; a file that cannot be read fails alone.
        if (e instanceof ReeltimeError && e.code !== "REELTIME_ERR_CDN_SOURCE") throw e;
        report.failed.push({ file: file.uri, error: (e as Error).message });
      }
    }
    report.filesDone++;
    opts.onProgress?.({ ...report });
  }
  return report;
}

async function importFile(
  deps: { bus: Bus; source: LogSource },
  file: LogFile,
  opts: ImportOptions,
): Promise<{ lines: number; events: number; deadLetters: number }> {
  const batchSize = opts.batchSize ?? 1000;
  const receivedAt = new Date().toISOString();
  let events: CdnEvent[] = [];
  let letters: DeadLetter[] = [];
  const counts = { lines: 0, events: 0, deadLetters: 0 };
  const flush = async () => {
    await publishCdnEvents(deps.bus, events);
    await publishDeadLetters(deps.bus, letters);
    events = [];
    letters = [];
  };
  const lines = parseStandardLog(fileLines(deps.source.read(file)), {
    logFile: file.uri,
    identity: file.identity,
    receivedAt,
    ...(opts.appId ? { appId: opts.appId } : {}),
    ...(opts.ipv4Bits !== undefined ? { ipv4Bits: opts.ipv4Bits } : {}),
    ...(opts.ipv6Bits !== undefined ? { ipv6Bits: opts.ipv6Bits } : {}),
  });
  for await (const o of lines) {
    counts.lines = o.line;
    if ("event" in o) {
      events.push(o.event);
      counts.events++;
    } else {
      letters.push(
        lineLetter("cdn-import", o.problem, {
          seed: `${file.identity}\n${o.line}`,
          logFile: file.uri,
          line: o.line,
          text: o.text,
        }),
      );
      counts.deadLetters++;
    }
    if (events.length + letters.length >= batchSize) await flush();
  }
  await flush();
  return counts;
}
