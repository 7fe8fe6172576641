import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LOCAL_ENDPOINTS } from "../src/local/endpoints.ts";
import { scrapeTargetsDir, writeScrapeTargets } from "../src/local/scrape-targets.ts";
import { loadSettings } from "../src/local/settings.ts";

const base = LOCAL_ENDPOINTS.prometheus.url;

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${base}${path}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { status: string; data: T };
  expect(body.status).toBe("success");
  return body.data;
}

async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 1000));
  }
}

type Targets = { activeTargets: { labels: Record<string, string>; scrapePool: string }[] };

afterAll(() => rmSync(join(scrapeTargetsDir(loadSettings().stateDir), "infra-smoke.json"), { force: true }));

describe("local Prometheus (query API)", () => {
  it("answers `up` for its own target with 1", async () => {
    const result = await eventually(async () => {
      const data = await api<{ result: { value: [number, string] }[] }>(
        `/api/v1/query?query=${encodeURIComponent('up{job="prometheus"}')}`,
      );
      return data.result.length > 0 ? data.result : undefined;
    });
    expect(result[0]!.value[1]).toBe("1");
  });

  it("scrapes reeltime's default /metrics targets from the file_sd file", async () => {
    const targets = await api<Targets>("/api/v1/targets");
    const reeltime = targets.activeTargets.filter((t) => t.scrapePool === "reeltime").map((t) => t.labels.instance);
    expect(reeltime).toEqual(expect.arrayContaining(["127.0.0.1:8080", "127.0.0.1:9464", "127.0.0.1:9467"]));
  });

  it("picks up targets other code adds, without a restart", async () => {
    writeScrapeTargets("infra-smoke", [{ address: "127.0.0.1:9", labels: { service: "infra-smoke" } }]);
    const found = await eventually(async () => {
      const targets = await api<Targets>("/api/v1/targets");
      return targets.activeTargets.find((t) => t.labels.service === "infra-smoke");
    });
    expect(found.labels.instance).toBe("127.0.0.1:9");
  });
});
