// `npm run drill [-- --events N --outage-seconds S]`: the processors' fault drill on the real
// local services (started with `reeltime infra up` if they are not running), printing the counts.
import { parseArgs } from "node:util";
import { up } from "@reeltime/infra";
import { runDrill } from "./drill.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "100000" },
    "outage-seconds": { type: "string", default: "30" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(
    "usage: npm run drill -- [--events N] [--outage-seconds S]\n" +
      "Publishes N events to real Kafka, runs two processor instances, kills them, restarts Kafka,\n" +
      "stops Elasticsearch and MinIO for S seconds each, then checks every count is exact.\n",
  );
  process.exit(0);
}
const events = Number(values.events);
const outage = Number(values["outage-seconds"]);
if (!Number.isInteger(events) || events < 100 || !Number.isInteger(outage) || outage < 1) {
  process.stderr.write("drill: --events must be an integer ≥ 100 and --outage-seconds ≥ 1\n");
  process.exit(2);
}
await up({ print: () => undefined });
const r = await runDrill({
  events,
  outageSeconds: outage,
  ports: [9466, 9467],
  log: (l) => process.stdout.write(`${l}\n`),
});
const rows: [string, number | string, number | string][] = [
  ["events published", r.published, ""],
  ["Elasticsearch documents", r.searchDocs, r.searchDocs === r.published ? "exact" : "MISMATCH"],
  ["Elasticsearch distinct event ids", r.searchDistinct, r.searchDistinct === r.published ? "exact" : "MISMATCH"],
  ["archived Parquet rows", r.archiveRows, r.archiveRows === r.published ? "exact" : "MISMATCH"],
  ["archived distinct event ids", r.archiveDistinct, r.archiveDistinct === r.published ? "exact" : "MISMATCH"],
  ["views equal to the reference", `${r.viewsMatching}/${r.views}`, r.viewsMatching === r.views ? "exact" : "MISMATCH"],
  ["consumer lag after the drain", r.lag, r.lag === 0 ? "ok" : "NOT ZERO"],
];
process.stdout.write(`\nfaults: ${r.faults.join("; ")}\n`);
for (const [k, v, s] of rows) process.stdout.write(`${k.padEnd(34)} ${String(v).padStart(10)}  ${s}\n`);
process.stdout.write(`drill took ${r.seconds} s\n`);
const ok = rows.every(([, , s]) => s === "" || s === "exact" || s === "ok");
process.exit(ok ? 0 : 1);
