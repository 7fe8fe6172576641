import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LOCAL_ENDPOINTS } from "../src/local/endpoints.ts";
import { writePidFile } from "../src/local/pid-files.ts";
import { ownedPids, spawnService, stopRecord } from "../src/local/process.ts";
import { renderS3Identities } from "../src/local/render/seaweedfs-config.ts";
import { syncIdentities } from "../src/local/services/seaweedfs.ts";
import type { ServiceContext } from "../src/local/services/types.ts";
import { loadSettings } from "../src/local/settings.ts";

let state: string;
let ctx: ServiceContext;
beforeEach(() => {
  state = mkdtempSync(join(tmpdir(), "reeltime-weed-ids-"));
  const dir = join(state, "seaweedfs");
  mkdirSync(dir, { recursive: true });
  ctx = {
    settings: { ...loadSettings({}), stateDir: state },
    dir,
    logFile: join(state, "seaweedfs.log"),
    progress: () => undefined,
  };
});
afterEach(() => rmSync(state, { recursive: true, force: true }));

const wanted = renderS3Identities(LOCAL_ENDPOINTS.s3, { anonymousRead: [LOCAL_ENDPOINTS.s3.buckets.media] });

describe("SeaweedFS's identities on a running server", () => {
  it("are rewritten with the media bucket's anonymous read, and the running server is sent SIGHUP once", async () => {
    writeFileSync(join(ctx.dir, "s3.json"), renderS3Identities(LOCAL_ENDPOINTS.s3));
    const marker = join(state, "hup");
    // Stands in for weed: records the SIGHUP it gets (SeaweedFS reloads -s3.config on it).
    const proc = await spawnService(
      "seaweedfs",
      {
        command: "sh",
        args: ["-c", `trap 'echo hup >> ${marker}' HUP; while :; do sleep 0.1; done`],
        cwd: state,
        env: process.env,
      },
      ctx.logFile,
      [9000],
    );
    try {
      writePidFile(state, proc.record);
      await new Promise((r) => setTimeout(r, 300));
      expect(syncIdentities(ctx)).toBe(true);
      expect(readFileSync(join(ctx.dir, "s3.json"), "utf8")).toBe(wanted);
      for (let i = 0; i < 50 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 100));
      expect(readFileSync(marker, "utf8")).toBe("hup\n");
      // Up to date now: nothing written, no second signal.
      expect(syncIdentities(ctx)).toBe(false);
      await new Promise((r) => setTimeout(r, 300));
      expect(readFileSync(marker, "utf8")).toBe("hup\n");
      expect(ownedPids(proc.record).length).toBeGreaterThan(0);
    } finally {
      await stopRecord(proc.record, 5000);
    }
  });

  it("are written without a signal when no server runs", () => {
    expect(syncIdentities(ctx)).toBe(false);
    expect(readFileSync(join(ctx.dir, "s3.json"), "utf8")).toBe(wanted);
    expect(JSON.parse(wanted).identities[1]).toEqual({ name: "anonymous", actions: ["Read:reeltime-media"] });
  });
});
