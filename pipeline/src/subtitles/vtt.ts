import { ReeltimeError } from "@reeltime/runtime";
import webvtt, { type WebVTTParseError } from "webvtt-parser";

/** Largest subtitle file taken (a feature film's subtitles are well under 1 MiB). */
export const MAX_VTT_BYTES = 8 * 1024 * 1024;

/**
 * The W3C parser's findings that lose the file or a cue: no signature, a cue timing line that
 * does not parse, an end before its start, cues out of order. Everything else it reports (cue
 * settings, markup, escapes, blocks from other WebVTT flavours such as HLS's X-TIMESTAMP-MAP
 * header) players read past, so those are kept as warnings.
 */
const FATAL = [
  "No valid signature",
  "No timestamp found",
  "Timestamp must start with a character",
  "No time unit separator found",
  "Must be exactly two digits",
  "No seconds found",
  "No decimal separator",
  "Milliseconds must be given in three digits",
  "You cannot have more than 59",
  "No valid timestamp separator found",
  "Timestamp not separated from '-->'",
  "'-->' not separated from timestamp",
  "End timestamp is not greater than start timestamp",
  "Timestamp must not have trailing characters",
  "Start timestamp is not greater than or equal to start timestamp of previous cue",
];

/** A WebVTT file that passed: its cues' span, and what the parser noted without refusing it. */
export interface CheckedVtt {
  cues: number;
  /** End of the last cue, in ms. */
  endMs: number;
  warnings: string[];
}

const where = (e: WebVTTParseError) => `line ${e.line}${e.col ? `:${e.col}` : ""}`;

/**
 * Checks one WebVTT file with the W3C's parser (webvtt-parser, the WebVTT validator's): UTF-8,
 * the signature, every cue's timings, cues in order, at least one cue. Throws
 * REELTIME_ERR_BAD_SUBTITLES naming the file (`label`), the line and what to change.
 */
export function checkVtt(bytes: Uint8Array, label: string): CheckedVtt {
  const bad = (why: string) => new ReeltimeError("REELTIME_ERR_BAD_SUBTITLES", `${label} is not valid WebVTT: ${why}`);
  if (bytes.byteLength > MAX_VTT_BYTES)
    throw bad(`it is ${bytes.byteLength} bytes, over the ${MAX_VTT_BYTES}-byte limit for a subtitle file`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw bad("it is not UTF-8 text (WebVTT is always UTF-8); convert it, e.g. iconv -t UTF-8");
  }
  const { cues, errors } = new webvtt.WebVTTParser().parse(text, "subtitles/captions/descriptions");
  const fatal = errors.filter((e) => FATAL.some((f) => e.message.startsWith(f)));
  if (fatal.length > 0) {
    const first = fatal
      .slice(0, 3)
      .map((e) => `${where(e)}: ${e.message}`)
      .join("; ");
    const hint = /signature/.test(fatal[0]!.message)
      ? " (an SRT file? convert it to WebVTT: a WEBVTT line first, '.' before the milliseconds)"
      : "";
    throw bad(`${first}${fatal.length > 3 ? ` (and ${fatal.length - 3} more)` : ""}${hint}`);
  }
  if (cues.length === 0) throw bad("it has no cues");
  return {
    cues: cues.length,
    endMs: Math.round(Math.max(...cues.map((c) => c.endTime)) * 1000),
    warnings: errors.map((e) => `${where(e)}: ${e.message}`),
  };
}
