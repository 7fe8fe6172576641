import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BASIC_SHELL_TOOLS } from "../src/hermetic-path.ts";

// The unit tier's PATH is built by vitest.config.ts; these tests fail if that stops being so,
// or if a system binary such as ffmpeg or Chromium becomes reachable from a unit test.
describe("the unit tier is hermetic", () => {
  const path = process.env.PATH ?? "";
  const dirs = path.split(":");

  it("runs with a PATH of node_modules/.bin and the basic shell tools only", () => {
    expect(process.env.REELTIME_UNIT_TIER).toBe("1");
    expect(dirs).toHaveLength(2);
    expect(dirs[0]).toMatch(/node_modules\/\.bin$/);
    expect(dirs[1]).toMatch(/\.reeltime\/test\/hermetic-bin$/);
    const allowed = new Set<string>(BASIC_SHELL_TOOLS);
    for (const entry of readdirSync(dirs[1]!))
      expect(allowed.has(entry), `${entry} is not a basic shell tool`).toBe(true);
  });

  it.each(["ffmpeg", "ffprobe", "chromium", "java", "go", "prometheus", "apt-get"])("cannot spawn %s", (tool) => {
    const res = spawnSync(tool, ["--version"], { encoding: "utf8" });
    expect((res.error as NodeJS.ErrnoException | undefined)?.code).toBe("ENOENT");
  });

  it("can still spawn node (from node_modules) and a shell", () => {
    expect(existsSync(join(dirs[0]!, "node"))).toBe(true);
    const res = spawnSync("sh", ["-c", "node -e 'process.stdout.write(process.version)'"], { encoding: "utf8" });
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^v\d+/);
  });
});
