import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { text } from "node:stream/consumers";
import {
  EVENT_SCHEMAS,
  EVENT_TYPES,
  type EventType,
  exampleEvent,
  familyOf,
  generate,
  isEventType,
  jsonSchemas,
  validateEvent,
  wireTypesSource,
} from "@reeltime/events";
import { ReeltimeError } from "@reeltime/runtime";
import type { Command } from "commander";

/** The player SDK's plain wire types, generated from the contract (its published types build on them). */
const sdkWireTypes = () =>
  join(
    dirname(createRequire(import.meta.url).resolve("@reeltime/player-sdk/package.json")),
    "src",
    "generated",
    "wire.ts",
  );

/** Writes the SDK's wire types, or with `check` only compares; returns the file when it differed. */
async function syncWireTypes(check: boolean): Promise<{ file: string; missing: boolean } | undefined> {
  const want = await wireTypesSource();
  const have = await readFile(sdkWireTypes(), "utf8").catch(() => undefined);
  if (have === want) return undefined;
  if (!check) {
    await mkdir(dirname(sdkWireTypes()), { recursive: true });
    await writeFile(sdkWireTypes(), want);
  }
  return { file: relative(process.cwd(), sdkWireTypes()), missing: have === undefined };
}

function requireType(type: string): EventType {
  if (isEventType(type)) return type;
  throw new ReeltimeError(
    "REELTIME_ERR_UNKNOWN_TYPE",
    `unknown event type "${type}"; run \`reeltime events list\` for the ${EVENT_TYPES.length} known types`,
  );
}

/** Splits input into candidate events with their line numbers: a JSON array/batch, or NDJSON. */
export function parseEventsInput(input: string): { line: number; value?: unknown; parseError?: string }[] {
  const trimmed = input.trim();
  if (trimmed === "") return [];
  if (trimmed.startsWith("[") || (trimmed.startsWith("{") && /^\{\s*"events"\s*:/.test(trimmed))) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      const list = Array.isArray(parsed) ? parsed : (parsed as { events?: unknown }).events;
      if (Array.isArray(list)) return list.map((value) => ({ line: 0, value }));
    } catch {
      // not a single JSON document: fall through to NDJSON
    }
  }
  const out: { line: number; value?: unknown; parseError?: string }[] = [];
  input.split("\n").forEach((raw, i) => {
    if (raw.trim() === "") return;
    try {
      out.push({ line: i + 1, value: JSON.parse(raw) });
    } catch (err) {
      out.push({ line: i + 1, parseError: (err as Error).message });
    }
  });
  return out;
}

export function registerEvents(program: Command): void {
  const events = program.command("events").description("the event contract: list, schema, example, validate, generate");

  events
    .command("list")
    .description("list every event type with its family and when it fires")
    .option("--json", "print JSON")
    .action((opts: { json?: boolean }) => {
      const rows = EVENT_TYPES.map((t) => ({
        type: t,
        family: familyOf(t),
        description: String(EVENT_SCHEMAS[t].description ?? ""),
      }));
      if (opts.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      const width = Math.max(...rows.map((r) => r.type.length));
      for (const r of rows) process.stdout.write(`${r.type.padEnd(width)}  ${r.family.padEnd(8)}  ${r.description}\n`);
    });

  events
    .command("schema")
    .argument("<type>", "an event type, e.g. playback.rebuffer_end")
    .description("print the JSON Schema of an event type")
    .action((type: string) => {
      process.stdout.write(`${JSON.stringify(jsonSchemas()[requireType(type)], null, 2)}\n`);
    });

  events
    .command("example")
    .argument("<type>", "an event type, e.g. playback.rebuffer_end")
    .description("print a valid example event (fresh event_id, client_ts = now)")
    .option("--pretty", "indent the JSON")
    .action((type: string, opts: { pretty?: boolean }) => {
      process.stdout.write(`${JSON.stringify(exampleEvent(requireType(type)), null, opts.pretty ? 2 : undefined)}\n`);
    });

  events
    .command("validate")
    .argument("<file>", 'NDJSON (one event per line) or a JSON batch ([...] or {"events": [...]}); - reads stdin')
    .description("validate events against the contract; prints each error with its JSON pointer (exit 1 if any)")
    .option("--quiet", "print only the summary")
    .action(async (file: string, opts: { quiet?: boolean }) => {
      let input: string;
      try {
        input = file === "-" ? await text(process.stdin) : await readFile(file, "utf8");
      } catch (err) {
        throw new ReeltimeError("REELTIME_ERR_INPUT", `cannot read ${file}: ${(err as Error).message}`);
      }
      const items = parseEventsInput(input);
      if (items.length === 0)
        throw new ReeltimeError("REELTIME_ERR_INPUT", `${file === "-" ? "stdin" : file} holds no events`);
      let bad = 0;
      items.forEach((item, i) => {
        const where = item.line > 0 ? `line ${item.line}` : `event ${i}`;
        if (item.parseError !== undefined) {
          bad++;
          process.stdout.write(`${where}: not valid JSON: ${item.parseError}\n`);
          return;
        }
        const res = validateEvent(item.value, i);
        if (res.ok) return;
        bad++;
        if (opts.quiet) return;
        const label = res.event_type ? ` (${res.event_type})` : "";
        for (const e of res.errors)
          process.stdout.write(`${where}${label}: ${e.pointer || "/"}: ${e.message} [${e.reason}]\n`);
      });
      process.stdout.write(`${items.length - bad} valid, ${bad} invalid\n`);
      if (bad > 0) process.exitCode = 1;
    });

  events
    .command("generate")
    .description(
      "write the artefacts derived from the contract (JSON Schema, ES templates, Parquet columns, Athena DDL, the player SDK's wire types)",
    )
    .option("--check", "only check that the committed artefacts are current (exit 1 if not)")
    .action(async (opts: { check?: boolean }) => {
      const r = await generate({ check: opts.check ?? false });
      const wire = await syncWireTypes(opts.check ?? false);
      if (wire) (wire.missing ? r.missing : r.stale).push(wire.file);
      const changed = [...r.missing, ...r.stale, ...r.extra];
      if (opts.check) {
        if (changed.length === 0) return void process.stdout.write("generated artefacts are current\n");
        for (const f of r.missing) process.stdout.write(`missing: ${f}\n`);
        for (const f of r.stale) process.stdout.write(`stale:   ${f}\n`);
        for (const f of r.extra) process.stdout.write(`extra:   ${f}\n`);
        throw new ReeltimeError(
          "REELTIME_ERR_GENERATED_STALE",
          `${changed.length} generated file(s) differ from the contract; run \`reeltime events generate\` and commit`,
        );
      }
      process.stdout.write(
        changed.length === 0
          ? "generated artefacts already current\n"
          : `updated ${changed.length} generated file(s)\n`,
      );
    });
}
