import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ALL_TOPICS } from "@reeltime/events";
import { afterAll, describe, expect, it } from "vitest";
import { setup } from "../setup.ts";

const dir = mkdtempSync(join(tmpdir(), "reeltime-setup-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("setup (the Helm upgrade hook)", () => {
  it("creates every topic and the search templates, and runs again without harm", async () => {
    const env = { REELTIME_DATA_DIR: dir, REELTIME_PARTITIONS: "2" };
    await setup(env);
    await setup(env);
    // The embedded drivers keep one folder per topic and one file per index.
    expect(readdirSync(join(dir, "bus", "topics")).sort()).toEqual([...ALL_TOPICS].sort());
    expect(readdirSync(join(dir, "search"))).toEqual(expect.arrayContaining(["views.ndjson", "jobs.ndjson"]));
  });
});
