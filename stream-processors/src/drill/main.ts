// `npm run drill [-- --events N --outage-seconds S --rate R]`: the processors' fault drill on
// the real local services (started with `reeltime infra up` if they are not running), printing the counts.
import { parseArgs } from "node:util";
import { up } from "@reeltime/infra";
import { runDrill } from "./drill.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "100000" },
    "outage-seconds": { type: "string", default: "30" },
    rate: { type: "string", default: "350" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(
    "usage: npm run drill -- [--events N] [--outage-seconds S] [--rate R]\n" +
      "Publishes N events to real Kafka at R events/s (default 350) while two processor instances\n" +
      "are killed, Kafka restarts, and Elasticsearch and MinIO are stopped for S seconds each with\n" +
      "work pending; then checks every count is exact and every view equals the reference.\n",
  );
  process.exit(0);
}
const events = Number(values.events);
const outage = Number(values["outage-seconds"]);
const rate = Number(values.rate);
if (!Number.isInteger(events) || events < 100 || !Number.isInteger(outage) || outage < 1 || !(rate > 0)) {
  process.stderr.write("drill: --events must be an integer ≥ 100, --outage-seconds ≥ 1 and --rate > 0\n");
  process.exit(2);
}
await up({ print: () => undefined });
const r = await runDrill({
  events,
  outageSeconds: outage,
  eventsPerSecond: rate,
  ports: [9466, 9467],
  log: (l) => process.stdout.write(`${l}\n`),
});
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
