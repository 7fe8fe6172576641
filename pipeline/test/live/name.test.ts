import { describe, expect, it } from "vitest";
import { checkLiveName, liveKeys } from "../../src/live/name.ts";

describe("live stream names", () => {
  it.each(["demo", "Demo_2", "a", "x".repeat(48), "launch-keynote"])("takes %s", (name) => {
    expect(checkLiveName(name)).toBe(name);
  });

  it.each(["", "..", "../x", "a/b", ".hidden", "a.b", "-lead", "_lead", "x".repeat(49), "sp ace", "a\\b", "é", "a%2f"])(
    "refuses %j with a usage error",
    (name) => {
      expect(() => checkLiveName(name)).toThrow(expect.objectContaining({ code: "REELTIME_ERR_USAGE" }));
    },
  );

  it("places media under media/live/<name>/ and the lease outside media/", () => {
    const k = liveKeys("demo");
    expect(k.master).toBe("media/live/demo/master.m3u8");
    expect(k.playlist("360p")).toBe("media/live/demo/360p/index.m3u8");
    expect(k.segment("360p", "seg_1.ts")).toBe("media/live/demo/360p/seg_1.ts");
    expect(k.lease).toBe("live/demo/lease.json");
    expect(k.mediaPath).toBe("live/demo/master.m3u8");
    expect(k.videoId).toBe("live:demo");
    expect(() => liveKeys("../etc")).toThrow(expect.objectContaining({ code: "REELTIME_ERR_USAGE" }));
  });
});
