// Hermetic: a subtitle rendition's files and its HLS media playlist (the master's SUBTITLES group
// and the MPD's text sets are checked with the package fixtures in dash/mpd.test.ts and
// audio-only/audio-only.test.ts).
import { Parser } from "m3u8-parser";
import { describe, expect, it } from "vitest";
import { renderSubtitlePlaylist, subtitleRendition, subtitleTrack } from "../../src/subtitles/manifests.ts";

describe("a subtitle rendition", () => {
  it("names its WebVTT file and playlist under subtitles/, with the file's bitrate over the presentation", () => {
    expect(subtitleTrack("fr", "French", 2000, 8000)).toEqual({
      language: "fr",
      name: "French",
      vtt: "subtitles/fr.vtt",
      playlist: "subtitles/fr.m3u8",
      bandwidth: 2000,
    });
    expect(subtitleTrack("fr", "French", 0, 0).bandwidth).toBe(1);
    expect(subtitleRendition("pt-BR")).toBe("subtitles-pt-BR");
  });

  it("its HLS media playlist is the whole file as one VOD segment lasting the presentation", () => {
    const text = renderSubtitlePlaylist("fr.vtt", 10_048);
    expect(text).toBe(
      [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-TARGETDURATION:11",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXTINF:10.048000,",
        "fr.vtt",
        "#EXT-X-ENDLIST",
        "",
      ].join("\n"),
    );
    const p = new Parser();
    p.push(text);
    p.end();
    expect(p.manifest.segments.map((s) => [s.uri, s.duration])).toEqual([["fr.vtt", 10.048]]);
    expect(p.manifest.endList).toBe(true);
  });
});
