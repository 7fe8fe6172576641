import { MemoryArchive } from "@reeltime/testkit";
import { describe, expect, it } from "vitest";
import { LEASE_STALE_MS, LiveLease } from "../../src/live/lease.ts";

describe("LiveLease", () => {
  it("keeps a name to one publisher until it is released", async () => {
    const archive = new MemoryArchive();
    const first = new LiveLease(archive, "demo");
    await first.acquire();
    expect(await archive.exists("live/demo/lease.json")).toBe(true);
    const second = new LiveLease(archive, "demo");
    await expect(second.acquire()).rejects.toMatchObject({
      code: "REELTIME_ERR_LIVE_BUSY",
      message: expect.stringContaining(`pid ${process.pid}`),
    });
    await new LiveLease(archive, "other").acquire();
    await first.release();
    await second.acquire();
    // A release by a publisher that no longer holds it leaves the holder's lease alone.
    await first.release();
    expect(await archive.exists("live/demo/lease.json")).toBe(true);
  });

  it("takes over a lease its publisher stopped renewing", async () => {
    const archive = new MemoryArchive();
    let now = 1_000_000;
    const dead = new LiveLease(archive, "demo", () => now);
    await dead.acquire();
    now += LEASE_STALE_MS - 1;
    await expect(new LiveLease(archive, "demo", () => now).acquire()).rejects.toMatchObject({
      code: "REELTIME_ERR_LIVE_BUSY",
    });
    await dead.renew();
    now += LEASE_STALE_MS - 1;
    await expect(new LiveLease(archive, "demo", () => now).acquire()).rejects.toMatchObject({
      code: "REELTIME_ERR_LIVE_BUSY",
    });
    now += 2;
    const next = new LiveLease(archive, "demo", () => now);
    await next.acquire();
    await dead.release();
    expect(await archive.exists("live/demo/lease.json")).toBe(true);
  });
});
