import { createArchive, createQueryEngine } from "@reeltime/connectors";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";
import { describe, expect, it } from "vitest";

describe("factory: archive and query drivers", () => {
  it("REELTIME_ARCHIVE=s3 and REELTIME_QUERY=athena load their adapters lazily", async () => {
    const env = loadEnv(ConnectionEnv, { REELTIME_ARCHIVE: "s3", REELTIME_QUERY: "athena" });
    const archive = await createArchive(env);
    expect(archive.driver).toBe("s3");
    const engine = await createQueryEngine(archive, env);
    expect(engine.driver).toBe("athena");
    await engine.shutdown();
    await archive.shutdown();
  });
});
