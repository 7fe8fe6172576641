// reeltime's alert rules on the real engine: promtool (installed with Debian's prometheus by
// `reeltime infra up`) checks them and evaluates them against input series. The stalled-partition
// alert fires after its `for`, and a partition that recovers does not.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ALERT_RULES } from "../src/local/services/prometheus.ts";

const dir = mkdtempSync(join(tmpdir(), "reeltime-alerts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const promtool = (args: string[]) => spawnSync("/usr/bin/promtool", args, { encoding: "utf8" });

describe("alert rules", () => {
  it("pass promtool check rules", () => {
    const r = promtool(["check", "rules", ALERT_RULES]);
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toContain("SUCCESS: 4 rules found");
  });

  it("fire for a stalled partition and a dead-letter flood, and not for a partition that recovered", () => {
    const tests = join(dir, "tests.yml");
    writeFileSync(
      tests,
      `rule_files: [${JSON.stringify(ALERT_RULES)}]
evaluation_interval: 30s
tests:
  - interval: 30s
    input_series:
      - series: 'reeltime_processor_partition_stalled{processor="archiver",topic="reeltime.playback",partition="1"}'
        values: '0 1 1 1 1 1 1 1'
      - series: 'reeltime_processor_partition_stalled{processor="indexer",topic="reeltime.playback",partition="0"}'
        values: '0 1 1 0 0 0 0 0'
      - series: 'reeltime_processor_dead_letters_total{processor="indexer",reason="rejected_by_store"}'
        values: '0+50x60'
      - series: 'reeltime_processor_tick_failures_total{processor="archiver"}'
        values: '0+2x60'
      - series: 'reeltime_processor_tick_failures_total{processor="indexer"}'
        values: '0+2x5 10x55'
    alert_rule_test:
      - eval_time: 3m
        alertname: ReeltimePartitionStalled
        exp_alerts:
          - exp_labels: { severity: page, processor: archiver, topic: reeltime.playback, partition: "1" }
            exp_annotations:
              summary: "archiver makes no progress on reeltime.playback/1 while it has lag"
              description: >-
                The partition has messages waiting and its processor has handled and committed nothing
                on it for the stall time. Look for the processor's "batch failed" warnings, a backing
                service that is down, or a message that fails every time (it should be in dead letters).
      - eval_time: 20m
        alertname: ReeltimeProcessorFlushesFailing
        exp_alerts:
          - exp_labels: { severity: ticket, processor: archiver }
            exp_annotations:
              summary: "archiver keeps failing its periodic flushes (retried after a backoff)"
              description: Buffered work is not written out (index flushes, Parquet cuts, view checkpoints); check the processor's "tick failed" warnings and its backing service.
      - eval_time: 30m
        alertname: ReeltimeDeadLettersGrowing
        exp_alerts:
          - exp_labels: { severity: ticket, processor: indexer, reason: rejected_by_store }
            exp_annotations:
              summary: "indexer sends messages to dead letters (rejected_by_store)"
              description: "Find them with \`reeltime replay --reason rejected_by_store --dry-run\`; fix the producer or the contract, then replay."
`,
    );
    const r = promtool(["test", "rules", tests]);
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  });
});
