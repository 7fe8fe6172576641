// Hermetic: what the subtitle step takes as WebVTT (the W3C parser's findings sorted into those
// that lose the file or a cue, which refuse it, and the rest, kept as warnings).
import { describe, expect, it } from "vitest";
import { checkVtt, MAX_VTT_BYTES } from "../../src/subtitles/vtt.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const check = (text: string) => checkVtt(bytes(text), "talk.fr.vtt");

describe("checkVtt", () => {
  it("takes a plain file: its cues and where the last one ends", () => {
    expect(check("WEBVTT\n\n00:00.500 --> 00:02.000\nHello\n\n00:02.500 --> 00:04.250\nWorld\n")).toEqual({
      cues: 2,
      endMs: 4250,
      warnings: [],
    });
  });

  it("takes what players read past (BOM, CRLF, HLS's X-TIMESTAMP-MAP, STYLE, NOTE, settings, markup), as warnings", () => {
    const text =
      "\uFEFFWEBVTT - talk\r\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\r\n\r\nSTYLE\r\n::cue { color: yellow }\r\n\r\n" +
      "NOTE made by hand\r\n\r\n1\r\n00:00.000 --> 00:02.000 align:left line:0\r\n<v Roger>Tom &amp; <c.yellow>Jerry</c> & co\r\n\r\n" +
      "00:00:02.000 --> 00:00:04.000 foo:bar\r\n<i>x</i> <00:00:03.000> y\r\n";
    const r = check(text);
    expect(r.cues).toBe(2);
    expect(r.endMs).toBe(4000);
    expect(r.warnings).toEqual([
      "line 2: No blank line after the signature.",
      "line 12:41: Incorrect escape.",
      "line 13:31: Invalid setting.",
    ]);
  });

  it("refuses a file without the signature, naming the line and hinting at SRT", () => {
    expect(() => check("1\n00:00:01,000 --> 00:00:02,000\nhello\n")).toThrow(
      /^talk\.fr\.vtt is not valid WebVTT: line 1: No valid signature\. \(File needs to start with "WEBVTT"\.\); line 2:9: No decimal separator \("\."\) found\. \(an SRT file\? convert it to WebVTT/,
    );
    expect(() => check("")).toThrow(/line 1: No valid signature/);
  });

  it("refuses cue timings that do not parse, an end before its start, cues out of order", () => {
    expect(() => check("WEBVTT\n\n00:00:0x.000 --> 00:00:02.000\nHello\n")).toThrow(
      "talk.fr.vtt is not valid WebVTT: line 3:8: Must be exactly two digits.",
    );
    expect(() => check("WEBVTT\n\n00:00:03.000 --> 00:00:02.000\nHello\n")).toThrow(
      "line 3:30: End timestamp is not greater than start timestamp.",
    );
    expect(() => check("WEBVTT\n\n00:03.000 --> 00:05.000\na\n\n00:01.000 --> 00:02.000\nb\n")).toThrow(
      "line 6:10: Start timestamp is not greater than or equal to start timestamp of previous cue.",
    );
    const many = Array.from({ length: 5 }, (_, i) => `0${i}:00.0 --> 0${i}:01.000\nx\n`).join("\n");
    expect(() => check(`WEBVTT\n\n${many}`)).toThrow(/ \(and 2 more\)$/);
  });

  it("refuses a file with no cues, one that is not UTF-8, and one over the size limit", () => {
    expect(() => check("WEBVTT\n\nNOTE nothing here\n")).toThrow("talk.fr.vtt is not valid WebVTT: it has no cues");
    const latin1 = new Uint8Array([...bytes("WEBVTT\n\n00:00.000 --> 00:01.000\nd"), 0xe9, 0x6a, 0xe0, 0x0a]);
    expect(() => checkVtt(latin1, "talk.fr.vtt")).toThrow(/is not UTF-8 text/);
    expect(() => checkVtt(new Uint8Array(MAX_VTT_BYTES + 1), "big.vtt")).toThrow(/over the 8388608-byte limit/);
    expect(() => check("nope")).toThrow(expect.objectContaining({ code: "REELTIME_ERR_BAD_SUBTITLES" }));
  });
});
