import { percentDecode } from "./cmcd.ts";
import { type CdnEvent, type EventContext, type LineProblem, toCdnEvent } from "./to-event.ts";

/** The header CloudFront writes at the top of every standard log file (v1 "legacy" and v2 W3C). */
export const STANDARD_VERSION_PREFIX = "#Version:";
export const STANDARD_FIELDS_PREFIX = "#Fields:";

/** Standard log names that the real-time logs spell differently; the mapping reads real-time names. */
const RENAMED: Record<string, string> = {
  "cs(Host)": "cs-host",
  "cs(User-Agent)": "cs-user-agent",
  "cs(Referer)": "cs-referer",
  "cs(Cookie)": "cs-cookie",
};

/** One line of a log file: its event, or why it is not one (dead letter), or nothing (header, blank). */
export type LineOutcome = { line: number; event: CdnEvent } | { line: number; problem: LineProblem; text: string };

export interface FileContext extends Omit<EventContext, "seed" | "line" | "logFile" | "source"> {
  /** The file as named in events and dead letters: s3://bucket/key or a path. */
  logFile: string;
  /** The file's identity (S3 ETag or content hash): ids are made from it and the line number. */
  identity: string;
}

/**
 * Reads a CloudFront standard access log (W3C extended: `#Version`, `#Fields`, then one
 * tab-separated line per request). Values are mapped by the names of the `#Fields` line, never
 * by position, so older files with fewer fields and files of later versions with more read
 * alike; `-` is empty; values are URL-decoded (AWS encodes spaces and other characters). A
 * trailing tab is tolerated. A line that cannot be read is yielded as a problem with its line
 * number; the file goes on.
 */
export async function* parseStandardLog(lines: AsyncIterable<string>, ctx: FileContext): AsyncGenerator<LineOutcome> {
  let names: string[] | undefined;
  let n = 0;
  for await (const text of lines) {
    n++;
    if (text.trim() === "") continue;
    if (text.startsWith("#")) {
      if (text.startsWith(STANDARD_FIELDS_PREFIX))
        names = text
          .slice(STANDARD_FIELDS_PREFIX.length)
          .trim()
          .split(/\s+/)
          .map((f) => RENAMED[f] ?? f);
      continue;
    }
    if (!names) {
      yield {
        line: n,
        text,
        problem: { reason: "cdn_no_header", message: `line ${n}: a log line before any #Fields header` },
      };
      continue;
    }
    const values = text.split("\t");
    if (values.length === names.length + 1 && values.at(-1) === "") values.pop();
    if (values.length !== names.length) {
      yield {
        line: n,
        text,
        problem: {
          reason: "cdn_field_count",
          message: `line ${n}: ${values.length} values, the #Fields header names ${names.length}`,
        },
      };
      continue;
    }
    const fields: Record<string, string | undefined> = {};
    for (let i = 0; i < names.length; i++) {
      const v = values[i]!;
      fields[names[i]!] = v === "-" || v === "" ? undefined : names[i] === "cs-uri-query" ? v : percentDecode(v);
    }
    const r = toCdnEvent(fields, {
      ...ctx,
      source: "cloudfront-standard",
      seed: `${ctx.identity}\n${n}`,
      logFile: ctx.logFile,
      line: n,
    });
    if ("event" in r) yield { line: n, event: r.event };
    else yield { line: n, text, problem: { ...r.problem, message: `line ${n}: ${r.problem.message}` } };
  }
}
