// `npm run drill [-- --bus kafka|kinesis --instances K --events N --outage-seconds S --rate R]`: the
// processors' fault drill on the real local services (started with `reeltime infra up` if they
// are not running), printing the counts.
import { parseArgs } from "node:util";
import { up } from "@reeltime/infra";
import { hideKafkajsTimerWarning } from "@reeltime/runtime";
import { type DrillReport, runDrill } from "./drill.ts";
import { type KinesisDrillReport, runKinesisDrill } from "./drill-kinesis.ts";

hideKafkajsTimerWarning();

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "100000" },
    "outage-seconds": { type: "string", default: "30" },
    rate: { type: "string", default: "350" },
    bus: { type: "string", default: "kafka" },
    instances: { type: "string" },
    "kafka-driver": { type: "string", default: "kafkajs" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(
    "usage: npm run drill -- [--bus kafka|kinesis] [--kafka-driver kafkajs|platformatic] [--instances K] [--events N] [--outage-seconds S] [--rate R]\n" +
      "Kafka (default): publishes N events at R events/s (default 350) while two processor instances\n" +
      "(on --kafka-driver, REELTIME_KAFKA_DRIVER: kafkajs by default, or @platformatic/kafka)\n" +
      "are killed, Kafka restarts, and Elasticsearch and S3 (SeaweedFS) are stopped for S seconds each with\n" +
      "work pending; then checks every count is exact and every view equals the reference.\n" +
      "Kinesis (--bus kinesis): kinesis-local with leases in dynalite; K instances (default 3, at\n" +
      "least 3), each with its own data directory: two split the shards, the rest join, one is\n" +
      "killed with kill -9 and the survivors must take its leases within a lease time and two\nrenewal ticks (6 s + 4 s, 3 s slack), read from the lease table;\n" +
      "then the S3 and Elasticsearch outages and the same checks. No broker restart on Kinesis.\n",
  );
  process.exit(0);
}
const events = Number(values.events);
const outage = Number(values["outage-seconds"]);
const rate = Number(values.rate);
const kinesis = values.bus === "kinesis";
const instances = Number(values.instances ?? (kinesis ? 3 : 2));
if (
  !Number.isInteger(events) ||
  events < 100 ||
  !Number.isInteger(outage) ||
  outage < 1 ||
  !(rate > 0) ||
  (values.bus !== "kafka" && !kinesis) ||
  (values["kafka-driver"] !== "kafkajs" && values["kafka-driver"] !== "platformatic") ||
  (kinesis ? !Number.isInteger(instances) || instances < 3 || instances > 4 : instances !== 2)
) {
  process.stderr.write(
    "drill: --bus kafka|kinesis, --kafka-driver kafkajs|platformatic, --events an integer ≥ 100, --outage-seconds ≥ 1, --rate > 0, " +
      "--instances 3 or 4 on Kinesis (Kafka runs 2)\n",
  );
  process.exit(2);
}
await up({ print: () => undefined });
const log = (l: string) => process.stdout.write(`${l}\n`);
const kr: KinesisDrillReport | undefined = kinesis
  ? await runKinesisDrill({
      events,
      outageSeconds: outage,
      eventsPerSecond: rate,
      instances,
      ports: [9464, 9465, 9466, 9467],
      log,
    })
  : undefined;
const r: DrillReport =
  kr ??
  (await runDrill({
    events,
    outageSeconds: outage,
    eventsPerSecond: rate,
    ports: [9466, 9467],
    log,
    kafkaDriver: values["kafka-driver"] as "kafkajs" | "platformatic",
  }));
const exact = (ok: boolean) => (ok ? "exact" : "MISMATCH");
const rows: [string, number | string, number | string][] = [
  ["events published", r.published, ""],
  ["Elasticsearch documents", r.searchDocs, exact(r.searchDocs === r.published)],
  ["Elasticsearch distinct event ids", r.searchDistinct, exact(r.searchDistinct === r.published)],
  ["archived Parquet rows", r.archiveRows, exact(r.archiveRows === r.published)],
  ["archived distinct event ids", r.archiveDistinct, exact(r.archiveDistinct === r.published)],
  ["views equal to the reference", `${r.viewsMatching}/${r.views}`, exact(r.viewsMatching === r.views)],
  ["consumer lag after the drain", r.lag, r.lag === 0 ? "ok" : "NOT ZERO"],
  ...r.outages.map((o): [string, string, string] => {
    const failed = Object.values(o.failedAttempts).reduce((x, y) => x + y, 0);
    return [
      `${o.service} outage: writes retried`,
      `${failed} (${o.publishedDuring} pub.)`,
      failed >= 2 && o.publishedDuring > 0 ? "ok" : "IDLE OUTAGE",
    ];
  }),
];
if (kr) {
  const even = kr.splits.every((s) => s.reduce((x, y) => x + y, 0) === kr.shards && Math.min(...s) > 0);
  rows.push([
    "group shards split (2, then all)",
    kr.splits.map((s) => s.join("/")).join(" → "),
    even ? "ok" : "UNEVEN",
  ]);
  const bound = kr.leaseMs + (2 * kr.leaseMs) / 3 + 3000;
  rows.push([
    `takeover of ${kr.orphaned} leases (s)`,
    (kr.takeoverMs / 1000).toFixed(1),
    kr.orphaned > 0 && kr.takeoverMs > 0 && kr.takeoverMs <= bound ? "ok" : "TOO SLOW",
  ]);
}
process.stdout.write(`\nfaults: ${r.faults.join("; ")}\n`);
process.stdout.write(`publish calls retried: ${r.publishRetries}\n`);
for (const m of r.mismatches)
  for (const d of m.diffs)
    process.stdout.write(
      `view ${m.viewId}  ${d.field}: expected ${JSON.stringify(d.expected)}, actual ${JSON.stringify(d.actual)}\n`,
    );
for (const [k, v, s] of rows) process.stdout.write(`${k.padEnd(36)} ${String(v).padStart(16)}  ${s}\n`);
process.stdout.write(`drill took ${r.seconds} s\n`);
const ok = rows.every(([, , s]) => s === "" || s === "exact" || s === "ok");
process.exit(ok ? 0 : 1);
