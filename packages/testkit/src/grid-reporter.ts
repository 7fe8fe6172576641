import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Reporter, TestModule, TestSuite } from "vitest/node";

/**
 * `describe` names of conformance suites: `<port> conformance: <adapter>` (port name in any case),
 * the adapter optionally followed by the major version of the server it ran against
 * (`elasticsearch 8`, `elasticsearch 9`), a cell of its own.
 */
export const CONFORMANCE_SUITE = /^([A-Za-z][A-Za-z0-9-]*) conformance: ([a-z0-9][a-z0-9-]*(?: [0-9]+)?)$/;

/** Port names as suites may spell them (the interface name or its short form) → grid row. */
const PORT_ALIASES: Record<string, string> = { searchstore: "search", queryengine: "query" };
const portOf = (name: string) => PORT_ALIASES[name.toLowerCase()] ?? name.toLowerCase();

/** Every cell the issue asks for; one that did not run shows as "not run" and fails the run. */
export const EXPECTED_GRID: Record<string, string[]> = {
  bus: ["embedded", "kafka", "kafka-platformatic", "kinesis"],
  // The Elasticsearch adapter (one v8 client) against both server majors users run.
  search: ["embedded", "elasticsearch 8", "elasticsearch 9"],
  archive: ["fs", "s3"],
  // athena: the Athena adapter's requests answered by Trino, Athena's engine (integration tier);
  // the unit tier's DuckDB stand-in shows as athena-duckdb-emulator, a cell of its own.
  query: ["duckdb", "athena", "trino"],
};

/**
 * The only skips a cell may have: port → adapter → test name → why it cannot apply there. Any
 * other skipped test fails its cell, so a suite cannot go green by skipping its way there.
 */
export const EXPECTED_SKIPS: Record<string, Record<string, Record<string, string>>> = {
  archive: {
    fs: {
      "a backing service that is down gives a clear, retryable error":
        "a local filesystem has no backing service that can be down",
    },
    // The test doubles (test/doubles.test.ts), not in EXPECTED_GRID: they show only where their suites run.
    memory: {
      "a backing service that is down gives a clear, retryable error":
        "an archive in memory has no backing service that can be down",
    },
    "recording-memory": {
      "a backing service that is down gives a clear, retryable error":
        "an archive in memory has no backing service that can be down",
    },
  },
};

export interface Cell {
  passed: number;
  failed: number;
  skipped: number;
  /** Names of the skipped tests (shown in the grid; unexpected ones fail the cell). */
  skippedNames?: string[];
  /** A hook of the suite (beforeAll/afterAll) failed. */
  broken: boolean;
}

/** Tallies the conformance suites of finished test modules by port and adapter. */
export function tally(modules: readonly TestModule[]): Map<string, Map<string, Cell>> {
  const grid = new Map<string, Map<string, Cell>>();
  for (const m of modules)
    for (const suite of m.children.allSuites() as Iterable<TestSuite>) {
      const match = CONFORMANCE_SUITE.exec(suite.name);
      if (!match) continue;
      const [, portName, adapter] = match as unknown as [string, string, string];
      const port = portOf(portName);
      const row = grid.get(port) ?? new Map<string, Cell>();
      grid.set(port, row);
      const cell = row.get(adapter) ?? { passed: 0, failed: 0, skipped: 0, broken: false };
      row.set(adapter, cell);
      for (const t of suite.children.allTests()) {
        const state = t.result().state;
        if (state === "passed") cell.passed++;
        else if (state === "failed") cell.failed++;
        else {
          cell.skipped++;
          cell.skippedNames = [...(cell.skippedNames ?? []), t.name];
        }
      }
      if (suite.state() === "failed" || suite.errors().length > 0) cell.broken = true;
    }
  return grid;
}

function label(port: string, adapter: string, cell: Cell | undefined): { text: string; ok: boolean; notes: string[] } {
  if (!cell) return { text: "not run", ok: false, notes: [] };
  const total = cell.passed + cell.failed;
  const expected = EXPECTED_SKIPS[port]?.[adapter] ?? {};
  const names = cell.skippedNames ?? [];
  // Cells carried over from an older grid file may lack names: every skip there is unexplained.
  const unexplained = cell.skipped - names.filter((n) => n in expected).length;
  const notes = names.map((n) =>
    n in expected
      ? `${port}/${adapter}: skipped "${n}" (expected: ${expected[n]})`
      : `${port}/${adapter}: skipped "${n}" (UNEXPECTED: no reason is recorded in EXPECTED_SKIPS)`,
  );
  const skips = cell.skipped ? `, ${cell.skipped} skipped${unexplained > 0 ? ` (${unexplained} unexpected)` : ""}` : "";
  if (cell.broken && total === 0) return { text: "FAIL (suite setup failed)", ok: false, notes };
  if (cell.failed > 0 || cell.broken) return { text: `FAIL ${cell.passed}/${total}${skips}`, ok: false, notes };
  if (cell.passed === 0) return { text: `skipped ${cell.skipped}`, ok: false, notes };
  if (unexplained > 0) return { text: `FAIL ${cell.passed}/${total}${skips}`, ok: false, notes };
  return { text: `pass ${cell.passed}/${total}${skips}`, ok: true, notes };
}

/** The grid as text: one row per port, one column per adapter of that port. */
export function renderGrid(grid: Map<string, Map<string, Cell>>): { text: string; ok: boolean } {
  const ports = [...new Set([...Object.keys(EXPECTED_GRID), ...grid.keys()])];
  const rows: string[][] = [];
  let ok = true;
  const notes: string[] = [];
  for (const port of ports) {
    const adapters = [...new Set([...(EXPECTED_GRID[port] ?? []), ...(grid.get(port)?.keys() ?? [])])];
    const cells = adapters.map((a) => {
      const l = label(port, a, grid.get(port)?.get(a));
      ok &&= l.ok;
      notes.push(...l.notes);
      return `${a}: ${l.text}`;
    });
    rows.push([port, ...cells]);
  }
  const widths: number[] = [];
  for (const r of rows) for (const [i, c] of r.entries()) widths[i] = Math.max(widths[i] ?? 0, c.length);
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join(" │ ");
  const text = [
    "",
    "Connector conformance grid (port × adapter, tests passed/run)",
    ...rows.map(line),
    ...notes.map((n) => `  ${n}`),
    ok ? "every cell passed" : "some cells failed, skipped unexpectedly or did not run",
    "",
  ].join("\n");
  return { text, ok };
}

/**
 * Vitest reporter for `npm run test:connectors`: after the run, prints which adapters pass which
 * port's conformance suite. Use it beside the default reporter:
 * `vitest run packages/connectors packages/bus-kafka … --reporter=default --reporter=./packages/testkit/src/grid-reporter.ts`
 * (the root package.json's test:connectors lists every adapter package).
 */
export default class GridReporter implements Reporter {
  onTestRunEnd(modules: readonly TestModule[]): void {
    // `npm test` runs the embedded cells in the unit tier and the real services in the
    // integration tier: REELTIME_GRID_FILE carries the first tier's cells to the second, which
    // (with REELTIME_GRID_FINAL=1) prints the whole grid and fails on a missing cell.
    const file = process.env.REELTIME_GRID_FILE;
    let grid = tally(modules);
    if (file) {
      grid = mergeGrids(loadGrid(file), grid);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify([...grid].map(([port, row]) => [port, [...row]])));
    }
    const { text, ok } = renderGrid(grid);
    if (file && process.env.REELTIME_GRID_FINAL !== "1") return;
    process.stdout.write(`${text}\n`);
    if (!ok) process.exitCode = 1;
  }
}

type Grid = Map<string, Map<string, Cell>>;

function loadGrid(file: string): Grid {
  if (!existsSync(file)) return new Map();
  const raw = JSON.parse(readFileSync(file, "utf8")) as [string, [string, Cell][]][];
  return new Map(raw.map(([port, row]) => [port, new Map(row)]));
}

/** Cells of `b` replace those of `a` (a later tier re-running an adapter wins). */
export function mergeGrids(a: Grid, b: Grid): Grid {
  const out: Grid = new Map([...a].map(([p, row]) => [p, new Map(row)]));
  for (const [port, row] of b) {
    const target = out.get(port) ?? new Map<string, Cell>();
    for (const [adapter, cell] of row) target.set(adapter, cell);
    out.set(port, target);
  }
  return out;
}
