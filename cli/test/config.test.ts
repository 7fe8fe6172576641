import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readmeWithSettings, settingsMarkdown } from "../src/commands/config.ts";

const README = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "README.md");

describe("reeltime config", () => {
  it("lists every connection, ingest and processor variable", async () => {
    const md = await settingsMarkdown();
    for (const v of [
      "REELTIME_BUS",
      "REELTIME_KAFKA_BROKERS",
      "REELTIME_WRITE_KEYS",
      "REELTIME_CORS_ORIGINS",
      "REELTIME_ARCHIVER_ROLL_SECONDS",
    ])
      expect(md).toContain(`| \`${v}\` |`);
  });

  it("the README's configuration reference is current (run `npx reeltime config --write-readme README.md`)", async () => {
    const readme = await readFile(README, "utf8");
    expect(readme).toBe(await readmeWithSettings(readme));
  });
});
