import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { withInfraLock } from "../src/local/lock.ts";

const stateDir = mkdtempSync(join(tmpdir(), "reeltime-lock-"));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

describe("infra lock", () => {
  it("runs one infra command at a time", async () => {
    const order: string[] = [];
    let waited = 0;
    const slow = withInfraLock(
      stateDir,
      () => waited++,
      async () => {
        order.push("a-start");
        await new Promise((r) => setTimeout(r, 300));
        order.push("a-end");
      },
    );
    await new Promise((r) => setTimeout(r, 50));
    const second = withInfraLock(
      stateDir,
      () => waited++,
      async () => {
        order.push("b");
      },
    );
    await Promise.all([slow, second]);
    expect(order).toEqual(["a-start", "a-end", "b"]);
    expect(waited).toBe(1);
  });

  it("takes over a lock whose holder is gone", async () => {
    mkdirSync(join(stateDir, "run"), { recursive: true });
    writeFileSync(join(stateDir, "run", "infra.lock"), "999999999 1\n");
    const seen = await withInfraLock(
      stateDir,
      () => undefined,
      async () => readFileSync(join(stateDir, "run", "infra.lock"), "utf8"),
    );
    expect(seen).toBe(`${process.pid} ${seen.split(" ")[1]}`);
  });
});
