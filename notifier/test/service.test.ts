import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MEMORY_URL } from "@reeltime/database";
import { describe, expect, it } from "vitest";
import { runNotifierService } from "../src/service.ts";

describe("runNotifierService", () => {
  it("starts on the embedded bus and a migrated database, answers /healthz and /metrics, and closes", async () => {
    const dir = await mkdtemp(join(tmpdir(), "reeltime-notifier-service-"));
    const service = await runNotifierService({
      metricsPort: 0,
      env: { REELTIME_BUS: "embedded", REELTIME_DATA_DIR: dir, REELTIME_PG_URL: MEMORY_URL, REELTIME_PARTITIONS: "1" },
    });
    try {
      expect((await fetch(`http://127.0.0.1:${service.port}/healthz`)).status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();
      expect(metrics).toContain("reeltime_processor_messages_total");
      expect(metrics).toContain("reeltime_notifier_attempts_total");
      expect(metrics).toContain("reeltime_notifier_attempt_duration_seconds");
    } finally {
      await service.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("refuses a bad setting before starting anything", async () => {
    await expect(runNotifierService({ env: { REELTIME_WEBHOOK_RETRY_HOURS: "0" } })).rejects.toMatchObject({
      code: "REELTIME_ERR_CONFIG",
    });
  });
});
