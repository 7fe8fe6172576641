import { createArchive } from "@reeltime/connectors";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { describe, expect, it } from "vitest";

describe("createArchive", () => {
  it("loads this package by name for REELTIME_ARCHIVE=s3; nothing connects before start", async () => {
    const archive = await createArchive(loadEnv(ConnectionEnv, { REELTIME_ARCHIVE: "s3" }));
    expect(archive.driver).toBe("s3");
    await archive.shutdown();
  });
});
