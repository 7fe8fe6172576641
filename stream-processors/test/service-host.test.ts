import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runProcessService } from "../src/service.ts";

// The chart sets HOST=0.0.0.0 so Prometheus can scrape the processors from outside the pod (the
// consumer-lag alert reads their metrics); /metrics and /healthz must bind where HOST says.
// 127.0.0.2 stands in for "another address than the default" on the loopback network.
describe("reeltime process: the metrics server binds HOST", () => {
  it("serves /healthz and /metrics on HOST, not on 127.0.0.1", async () => {
    const dir = await mkdtemp(join(tmpdir(), "reeltime-service-host-"));
    const port = 19_000 + Math.floor(Math.random() * 2000);
    const service = await runProcessService({
      only: "indexer",
      metricsPort: port,
      env: { REELTIME_DATA_DIR: dir, HOST: "127.0.0.2" },
    });
    try {
      expect((await fetch(`http://127.0.0.2:${port}/healthz`)).status).toBe(200);
      expect(await (await fetch(`http://127.0.0.2:${port}/metrics`)).text()).toContain("# HELP");
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    } finally {
      await service.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
