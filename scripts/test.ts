// `npm test`: every tier in one command. Static checks and unit tests first (seconds), then
// the real local services are started, the integration tier runs against them, and the
// services this run started are stopped again, also when a test fails.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";

type Step = { name: string; cmd: string[] };

// The connectors' port × adapter grid is printed after each tier (embedded adapters in the
// unit tier, the real services in the integration tier).
const GRID = ["--reporter=default", "--reporter=./packages/testkit/src/grid-reporter.ts"];

const steps: Step[] = [
  { name: "lint", cmd: ["biome", "ci", "."] },
  { name: "typecheck", cmd: ["tsc", "-b"] },
  { name: "generated files are current", cmd: ["reeltime", "events", "generate", "--check"] },
  { name: "error reference is current", cmd: ["reeltime", "errors", "--check", "docs/errors.md"] },
  { name: "dashboards are current", cmd: ["reeltime", "dashboards", "export", "--check"] },
  { name: "unit tests", cmd: ["vitest", "run", "--project", "unit", ...GRID] },
];

function run(step: Step, env: Record<string, string> = {}): boolean {
  const started = Date.now();
  process.stdout.write(`\n▶ ${step.name}: ${step.cmd.join(" ")}\n`);
  const res = spawnSync(step.cmd[0]!, step.cmd.slice(1), { stdio: "inherit", env: { ...process.env, ...env } });
  const ok = res.status === 0;
  process.stdout.write(`${ok ? "✔" : "✘"} ${step.name} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  return ok;
}

const GRID_FILE = ".reeltime/test/connector-grid.json";
rmSync(GRID_FILE, { force: true });
let failed = steps.filter((s) => !run(s, { REELTIME_GRID_FILE: GRID_FILE })).map((s) => s.name);

{
  const up = run({ name: "start local services", cmd: ["reeltime", "infra", "up"] });
  try {
    if (!up) failed.push("start local services");
    else if (
      !run(
        { name: "integration tests", cmd: ["vitest", "run", "--project", "integration", ...GRID] },
        { REELTIME_GRID_FILE: GRID_FILE, REELTIME_GRID_FINAL: "1" },
      )
    )
      failed.push("integration tests");
  } finally {
    if (!run({ name: "stop local services", cmd: ["reeltime", "infra", "down"] })) failed.push("stop local services");
  }
}

failed = [...new Set(failed)];
if (failed.length > 0) {
  process.stdout.write(`\nnpm test failed: ${failed.join(", ")}\n`);
  process.exit(1);
}
process.stdout.write("\nnpm test: every tier passed\n");
