import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_SCRAPE_TARGETS, renderFileSd, writeScrapeTargets } from "../src/local/scrape-targets.ts";
import { loadSettings } from "../src/local/settings.ts";

describe("scrape targets", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("defaults to ingest on 8080 and processors on 9464-9467", () => {
    expect(DEFAULT_SCRAPE_TARGETS.map((t) => t.address)).toEqual([
      "127.0.0.1:8080",
      "127.0.0.1:9464",
      "127.0.0.1:9465",
      "127.0.0.1:9466",
      "127.0.0.1:9467",
    ]);
  });

  it("groups targets by label set in file_sd JSON", () => {
    const groups = JSON.parse(
      renderFileSd([
        { address: "a:1", labels: { service: "x" } },
        { address: "b:2", labels: { service: "x" } },
        { address: "c:3" },
      ]),
    );
    expect(groups).toEqual([
      { targets: ["a:1", "b:2"], labels: { service: "x" } },
      { targets: ["c:3"], labels: {} },
    ]);
  });

  it("writes one file per name into the folder Prometheus watches, atomically", () => {
    const stateDir = mkdtempSync(join(tmpdir(), "reeltime-targets-"));
    dirs.push(stateDir);
    const settings = loadSettings({ REELTIME_STATE_DIR: stateDir });
    const file = writeScrapeTargets("bench", [{ address: "127.0.0.1:9999", labels: { service: "bench" } }], settings);
    expect(file).toBe(join(stateDir, "prometheus", "targets", "bench.json"));
    expect(readdirSync(join(stateDir, "prometheus", "targets"))).toEqual(["bench.json"]);
    expect(JSON.parse(readFileSync(file, "utf8"))[0].targets).toEqual(["127.0.0.1:9999"]);
  });

  it("refuses names that would escape the folder", () => {
    expect(() => writeScrapeTargets("../x", [])).toThrow(/invalid/);
  });
});
