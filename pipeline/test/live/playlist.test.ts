import { describe, expect, it } from "vitest";
import { parseLivePlaylist, renderLivePlaylist } from "../../src/live/playlist.ts";

// As ffmpeg 5.1 writes it: the PDT after the EXTINF, a +0000 offset.
const FFMPEG = `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:1796395569
#EXT-X-INDEPENDENT-SEGMENTS
#EXTINF:2.000000,
#EXT-X-PROGRAM-DATE-TIME:2026-12-04T14:46:09.863+0000
seg_1796395569.ts
#EXTINF:2.000000,
#EXT-X-PROGRAM-DATE-TIME:2026-12-04T14:46:11.863+0000
seg_1796395570.ts
`;

describe("live playlists", () => {
  it("reads ffmpeg's segments with their sequence numbers and PDTs", () => {
    expect(parseLivePlaylist(FFMPEG)).toEqual([
      { seq: 1796395569, uri: "seg_1796395569.ts", duration: 2, pdtMs: Date.parse("2026-12-04T14:46:09.863Z") },
      { seq: 1796395570, uri: "seg_1796395570.ts", duration: 2, pdtMs: Date.parse("2026-12-04T14:46:11.863Z") },
    ]);
  });

  it("leaves out a segment without a PDT but keeps counting sequence numbers", () => {
    const text =
      "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:4\n#EXTINF:2,\na.ts\n#EXTINF:2,\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:02Z\nb.ts\n";
    expect(parseLivePlaylist(text).map((s) => [s.seq, s.uri])).toEqual([[5, "b.ts"]]);
  });

  it("renders a window with a PDT (RFC 3339 UTC) on every segment", () => {
    const segs = parseLivePlaylist(FFMPEG);
    const text = renderLivePlaylist(segs, 2);
    expect(text).toBe(`#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:1796395569
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-PROGRAM-DATE-TIME:2026-12-04T14:46:09.863Z
#EXTINF:2.000000,
seg_1796395569.ts
#EXT-X-PROGRAM-DATE-TIME:2026-12-04T14:46:11.863Z
#EXTINF:2.000000,
seg_1796395570.ts
`);
    expect(parseLivePlaylist(text)).toEqual(segs);
    expect(renderLivePlaylist(segs, 2, true).endsWith("#EXT-X-ENDLIST\n")).toBe(true);
    expect(renderLivePlaylist([{ ...segs[0]!, duration: 2.6 }], 2)).toContain("#EXT-X-TARGETDURATION:3");
  });
});
