import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, freemem, totalmem } from "node:os";
import { join } from "node:path";
import { round } from "./stats.ts";

export const OUT_DIR = join(import.meta.dirname, "..", "out");

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  freeGiB: number;
  node: string;
  platform: string;
  date: string;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? "unknown",
    cores: list.length,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    freeGiB: round(freemem() / 2 ** 30, 1),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
  };
}

/** One line of a result table: a side (reeltime, baseline) or a case, with its figures. */
export interface Row {
  label: string;
  figures: Record<string, number | string>;
}

export interface Goal {
  text: string;
  /** undefined: the goal is "reported" only. */
  met?: boolean;
}

export interface Result {
  name: string;
  title: string;
  /** What was run: sizes, durations, connections, settings. */
  workload: Record<string, unknown>;
  rows: Row[];
  /** reeltime ÷ baseline on the headline figure, when there is a baseline. */
  ratio?: { figure: string; value: number };
  goal: Goal;
  notes: string[];
}

function table(rows: Row[]): string {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r.figures)))];
  const head = `| | ${cols.join(" | ")} |\n|---|${cols.map(() => "---:").join("|")}|\n`;
  const body = rows
    .map((r) => `| ${r.label} | ${cols.map((c) => String(r.figures[c] ?? "")).join(" | ")} |`)
    .join("\n");
  return head + body;
}

export function markdown(result: Result, m: Machine): string {
  const goal = result.goal.met === undefined ? "reported" : result.goal.met ? "**met**" : "**not met**";
  const lines = [
    `## ${result.title}`,
    "",
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}; ${m.date}`,
    "",
    `Workload: ${Object.entries(result.workload)
      .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
      .join(", ")}`,
    "",
    table(result.rows),
    "",
    ...(result.ratio ? [`Ratio (reeltime ÷ baseline, ${result.ratio.figure}): **${result.ratio.value}**`, ""] : []),
    `Goal: ${result.goal.text}: ${goal}`,
    ...(result.notes.length > 0 ? ["", ...result.notes.map((n) => `- ${n}`)] : []),
    "",
  ];
  return lines.join("\n");
}

/** Writes bench/out/<name>.json and <name>.md and returns the markdown. */
export function writeResult(result: Result): string {
  const m = machine();
  mkdirSync(OUT_DIR, { recursive: true });
  const md = markdown(result, m);
  writeFileSync(join(OUT_DIR, `${result.name}.json`), `${JSON.stringify({ machine: m, ...result }, null, 2)}\n`);
  writeFileSync(join(OUT_DIR, `${result.name}.md`), md);
  return md;
}
