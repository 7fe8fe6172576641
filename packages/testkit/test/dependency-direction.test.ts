import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkDependencyDirection, loadWorkspaces, type Workspace } from "../src/dependency-direction.ts";

// Dependencies point one way (docs/CONTRIBUTING.md, "Layout"): libraries (packages/*) at the
// bottom depend on no app; apps depend on libraries only (their tests may also use other apps
// and infra, as devDependencies); the entry points (cli, drill, bench) sit on top. No workspace
// reaches into another's files by a relative path, and every @reeltime import is declared.
const ROOT = resolve(import.meta.dirname, "../../..");

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A throwaway repository: workspaces given as folder → { manifest, files }. */
function repo(spaces: Record<string, { pkg: Record<string, unknown>; files?: Record<string, string> }>): string {
  const root = mkdtempSync(join(tmpdir(), "reeltime-deps-"));
  dirs.push(root);
  writeFileSync(join(root, "package.json"), JSON.stringify({ workspaces: Object.keys(spaces) }));
  for (const [dir, { pkg, files }] of Object.entries(spaces)) {
    mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, dir, "package.json"), JSON.stringify(pkg));
    for (const [name, text] of Object.entries(files ?? {})) {
      mkdirSync(join(root, dir, name, ".."), { recursive: true });
      writeFileSync(join(root, dir, name), text);
    }
  }
  return root;
}

const lib = (name: string, deps: Record<string, string> = {}, devDeps: Record<string, string> = {}) => ({
  name: `@reeltime/${name}`,
  dependencies: deps,
  devDependencies: devDeps,
});

describe("dependency direction", () => {
  it("the repository's workspaces follow it", () => {
    const spaces = loadWorkspaces(ROOT);
    // Every tier is present, so a rule cannot pass by classifying nothing.
    const tiers = new Set(spaces.map((w: Workspace) => w.tier));
    expect([...tiers].sort()).toEqual(["app", "entry", "library"]);
    expect(spaces.find((w) => w.dir === "cli")?.tier).toBe("entry");
    expect(checkDependencyDirection(ROOT)).toEqual([]);
  });

  it("a library that depends on an app fails, at run time or in tests", () => {
    const root = repo({
      "packages/events": { pkg: lib("events") },
      "packages/cli": { pkg: lib("cli", { "@reeltime/ingest-api": "*" }) },
      "packages/testkit": { pkg: lib("testkit", {}, { "@reeltime/pipeline": "*" }) },
      "ingest-api": { pkg: lib("ingest-api", { "@reeltime/events": "*" }) },
      pipeline: { pkg: lib("pipeline") },
    });
    expect(checkDependencyDirection(root)).toEqual([
      "packages/cli (library) depends on @reeltime/ingest-api (app, ingest-api)",
      "packages/testkit (library) depends on @reeltime/pipeline (app, pipeline) in devDependencies",
    ]);
  });

  it("an app that depends on another app or an entry point fails; an app's tests may use another app", () => {
    const root = repo({
      "packages/events": { pkg: lib("events") },
      "stream-processors": { pkg: lib("stream-processors", { "@reeltime/infra": "*" }) },
      dashboards: { pkg: lib("dashboards", {}, { "@reeltime/ingest-api": "*", "@reeltime/cli": "*" }) },
      "ingest-api": { pkg: lib("ingest-api") },
      infra: { pkg: lib("infra") },
      cli: { pkg: lib("cli", { "@reeltime/stream-processors": "*", "@reeltime/infra": "*" }) },
    });
    expect(checkDependencyDirection(root)).toEqual([
      "stream-processors (app) depends on @reeltime/infra (app, infra)",
      "dashboards (app) depends on @reeltime/cli (entry, cli) in devDependencies",
    ]);
  });

  it("a relative path into another workspace fails, as an import or a URL; within the workspace it passes", () => {
    const root = repo({
      dashboards: { pkg: lib("dashboards"), files: { "live/app.js": "export {};\n" } },
      "ingest-api": {
        pkg: lib("ingest-api"),
        files: {
          // Split so this file's own text is not a relative URL into another workspace.
          "src/routes/live.ts": `const DIR = new URL("../../../dashboards/live/", import.meta${".url"});\n`,
          "src/app.ts": 'import { x } from "./routes/live.ts";\nconst own = new URL("../live/", import.meta.url);\n',
          "test/app.test.ts": 'const m = await import("../../dashboards/live/app.js");\n',
        },
      },
    });
    expect(checkDependencyDirection(root)).toEqual([
      'ingest-api/src/routes/live.ts:1 reaches into dashboards by the relative path "../../../dashboards/live/"',
      'ingest-api/test/app.test.ts:1 reaches into dashboards by the relative path "../../dashboards/live/app.js"',
    ]);
  });

  it("an @reeltime import the manifest does not declare fails (src needs dependencies, tests may use devDependencies)", () => {
    const root = repo({
      "packages/events": { pkg: lib("events") },
      "packages/testkit": { pkg: lib("testkit") },
      pipeline: {
        pkg: lib("pipeline", {}, { "@reeltime/testkit": "*" }),
        files: {
          "src/a.ts": 'import { T } from "@reeltime/events";\nimport { k } from "@reeltime/testkit";\n',
          "test/a.test.ts": 'import { k } from "@reeltime/testkit/workload";\n',
        },
      },
    });
    expect(checkDependencyDirection(root)).toEqual([
      'pipeline/src/a.ts:1 imports "@reeltime/events", which pipeline/package.json does not declare in dependencies',
      'pipeline/src/a.ts:2 imports "@reeltime/testkit", which pipeline/package.json does not declare in dependencies',
    ]);
  });
});
