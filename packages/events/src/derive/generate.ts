import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { RECORDS, type RecordName } from "../records.ts";
import { FAMILIES } from "../topics.ts";
import { athenaDdl } from "./athena.ts";
import { ilmPolicy, indexTemplates } from "./elasticsearch.ts";
import { jsonSchemas } from "./json-schema.ts";
import { familyColumns, recordColumns } from "./parquet.ts";
import { trinoDdl } from "./trino.ts";

/** Where the committed artefacts live. */
export const GENERATED_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "generated");

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** Every generated artefact: relative path → content. Pure: derived from the contract only. */
export function artefacts(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, schema] of Object.entries(jsonSchemas())) files.set(`json-schema/${name}.json`, json(schema));
  files.set("elasticsearch/ilm-policy.json", json(ilmPolicy()));
  for (const [name, t] of Object.entries(indexTemplates())) files.set(`elasticsearch/templates/${name}.json`, json(t));
  const columns: Record<string, unknown> = {};
  for (const f of FAMILIES) columns[`${f}_events`] = familyColumns(f);
  for (const r of Object.keys(RECORDS) as RecordName[]) columns[r] = recordColumns(r);
  files.set("parquet/columns.json", json(columns));
  for (const [name, ddl] of Object.entries(athenaDdl())) files.set(`athena/${name}.sql`, ddl);
  for (const [name, ddl] of Object.entries(trinoDdl())) files.set(`trino/${name}.sql`, ddl);
  return files;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const e of entries) if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  return out;
}

export interface GenerateReport {
  written: string[];
  stale: string[];
  missing: string[];
  extra: string[];
}

/** Writes the artefacts (or, with `check`, only compares them) and reports what differs. */
export async function generate(opts: { check?: boolean; dir?: string } = {}): Promise<GenerateReport> {
  const dir = opts.dir ?? GENERATED_DIR;
  const want = artefacts();
  const have = new Set(await listFiles(dir));
  const report: GenerateReport = { written: [], stale: [], missing: [], extra: [] };
  for (const [rel, content] of want) {
    const path = join(dir, rel);
    const current = have.has(rel) ? await readFile(path, "utf8") : undefined;
    if (current === content) continue;
    (current === undefined ? report.missing : report.stale).push(rel);
    if (!opts.check) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
      report.written.push(rel);
    }
  }
  for (const rel of have)
    if (!want.has(rel)) {
      report.extra.push(rel);
      if (!opts.check) await rm(join(dir, rel));
    }
  return report;
}
