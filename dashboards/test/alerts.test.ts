// The generated alert rules read only series reeltime exports, and each rule is complete. promtool's
// own checks (syntax, firing on synthetic series) are in infra/test/alerts.int.test.ts.
import { ingestMetrics } from "@reeltime/ingest-api";
import { processorMetrics } from "@reeltime/processing";
import { Registry } from "@reeltime/runtime";
import { viewersMetrics } from "@reeltime/stream-processors";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ALERT_RULES_PATH, renderAll } from "../src/export.ts";
import { ALERT_GROUPS } from "../src/spec/alerts.ts";

/** Every series name the project's registries expose (histograms with their _bucket, _sum, _count). */
async function exportedSeries(): Promise<Set<string>> {
  const registry = new Registry();
  ingestMetrics(registry);
  processorMetrics(registry);
  viewersMetrics(registry);
  const names = new Set<string>();
  for (const m of await registry.getMetricsAsJSON()) {
    names.add(m.name);
    // prom-client's JSON says "histogram" at run time though its types declare an enum.
    if (String(m.type) === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(`${m.name}${s}`);
  }
  return names;
}

const rules = ALERT_GROUPS.flatMap((g) => g.rules);

describe("alert rules", () => {
  it("cover the issue's alerts beside the processors' four", () => {
    expect(rules.map((r) => r.alert)).toEqual([
      "ReeltimePartitionStalled",
      "ReeltimeProcessorBatchesFailing",
      "ReeltimeProcessorFlushesFailing",
      "ReeltimeDeadLettersGrowing",
      "ReeltimeConsumerLagHigh",
      "ReeltimeIngest5xx",
      "ReeltimeRebufferRatioHigh",
      "ReeltimeVideoStartupFailures",
      "ReeltimeLiveLatencyAboveTarget",
    ]);
  });

  it("read only series reeltime exports", async () => {
    const exported = await exportedSeries();
    for (const r of rules) {
      const used = [...r.expr.matchAll(/\breeltime_[a-z0-9_]+/g)].map((m) => m[0]);
      expect(used.length, r.alert).toBeGreaterThan(0);
      for (const name of used) expect(exported, `${r.alert} reads ${name}`).toContain(name);
    }
  });

  it("render as a Prometheus rule file with severity, summary and description on every rule", () => {
    const doc = parse(renderAll().get(ALERT_RULES_PATH)!) as {
      groups: {
        name: string;
        rules: { alert: string; expr: string; for: string; labels: object; annotations: object }[];
      }[];
    };
    expect(doc.groups.map((g) => g.name)).toEqual(["reeltime-processors", "reeltime-ingest", "reeltime-qoe"]);
    for (const r of doc.groups.flatMap((g) => g.rules)) {
      expect(r.for, r.alert).toMatch(/^[0-9]+[smh]$/);
      expect(r.labels, r.alert).toEqual({ severity: expect.stringMatching(/^(page|ticket)$/) });
      expect(Object.keys(r.annotations), r.alert).toEqual(["summary", "description"]);
    }
  });
});
