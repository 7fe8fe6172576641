import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";

/**
 * The layering rule of the repository (docs/CONTRIBUTING.md, "Layout"), as a check:
 * - libraries (`packages/*`) depend on libraries only, in tests too;
 * - apps depend on libraries only; their tests may also use apps (as devDependencies);
 * - entry points (the CLI and the operations tools) may depend on anything; nothing below
 *   them may depend on them;
 * - no file reaches into another workspace by a relative path (import, `import()`,
 *   `require`, `new URL(..., import.meta.url)`): a workspace is reached by its package name;
 * - an `@reeltime/*` import is declared in the importing workspace's manifest (source files
 *   need `dependencies`; tests may use `devDependencies`).
 */
export type Tier = "library" | "app" | "entry";

/** The top-level folders that are entry points: the reeltime command and the operations tools. */
export const ENTRY_POINTS = ["cli", "drill", "bench"];

export interface Workspace {
  dir: string;
  name: string;
  tier: Tier;
  dependencies: string[];
  devDependencies: string[];
}

const SKIP_DIRS = new Set(["node_modules", "dist", "test-output", "generated", ".reeltime", "cdk.out"]);
const CODE = /\.(?:ts|mts|cts|js|mjs|cjs)$/;
const SPECIFIERS = [
  /\b(?:import|export)\s[^"';]*?\bfrom\s*["']([^"']+)["']/g,
  /\bimport\s*["']([^"']+)["']/g,
  /\bimport\(\s*["']([^"']+)["']/g,
  /\brequire(?:\.resolve)?\(\s*["']([^"']+)["']/g,
  /\.resolve\(\s*["']([^"']+)["']/g,
  /\bnew URL\(\s*["']([^"']+)["']\s*,\s*import\.meta\.url/g,
];

const tierOf = (dir: string): Tier =>
  dir.startsWith("packages/") ? "library" : ENTRY_POINTS.includes(dir) ? "entry" : "app";

const reeltimeDeps = (deps: unknown): string[] =>
  Object.keys((deps ?? {}) as Record<string, string>).filter((d) => d.startsWith("@reeltime/"));

/** The workspaces the root manifest lists, with their tier and @reeltime dependencies. */
export function loadWorkspaces(root: string): Workspace[] {
  const rootPkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { workspaces: string[] };
  return rootPkg.workspaces.map((dir) => {
    const pkg = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as Record<string, unknown>;
    return {
      dir,
      name: String(pkg.name),
      tier: tierOf(dir),
      // Peer dependencies count as run-time ones (the CLI names the apps it loads lazily as
      // optional peers, so a role's image installs only the app it runs).
      dependencies: [...reeltimeDeps(pkg.dependencies), ...reeltimeDeps(pkg.peerDependencies)],
      devDependencies: reeltimeDeps(pkg.devDependencies),
    };
  });
}

/** Which tiers a tier may depend on, at run time and in its tests. */
const ALLOWED: Record<Tier, { run: Tier[]; dev: Tier[] }> = {
  library: { run: ["library"], dev: ["library"] },
  app: { run: ["library"], dev: ["library", "app"] },
  entry: { run: ["library", "app", "entry"], dev: ["library", "app", "entry"] },
};

/** Every code file of a workspace, leaving out nested workspaces and build output. */
function codeFiles(root: string, dir: string, nested: string[]): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name) && !nested.includes(child)) walk(child);
      } else if (CODE.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(child);
    }
  };
  walk(dir);
  return out.sort();
}

const lineAt = (text: string, index: number) => text.slice(0, index).split("\n").length;
const packageOf = (spec: string) => spec.split("/").slice(0, 2).join("/");
const isTestFile = (file: string) => /(^|\/)test\//.test(file) || /\.test\.[cm]?[jt]s$/.test(file);

/** The problems found, one line each; empty when the repository follows the rule. */
export function checkDependencyDirection(root: string): string[] {
  const spaces = loadWorkspaces(root);
  const byName = new Map(spaces.map((w) => [w.name, w]));
  // Longest folder first, so a file in infra/deploy belongs to infra/deploy, not infra.
  const byDepth = [...spaces].sort((a, b) => b.dir.length - a.dir.length);
  const ownerOf = (abs: string) =>
    byDepth.find((w) => abs === resolve(root, w.dir) || abs.startsWith(resolve(root, w.dir) + sep));
  const problems: string[] = [];

  for (const ws of spaces) {
    for (const [list, dev] of [
      [ws.dependencies, false],
      [ws.devDependencies, true],
    ] as const) {
      for (const dep of list) {
        const target = byName.get(dep);
        if (!target || target === ws) continue;
        const allowed = ALLOWED[ws.tier][dev ? "dev" : "run"];
        if (!allowed.includes(target.tier))
          problems.push(
            `${ws.dir} (${ws.tier}) depends on ${dep} (${target.tier}, ${target.dir})${dev ? " in devDependencies" : ""}`,
          );
      }
    }

    const nested = spaces.filter((o) => o.dir.startsWith(`${ws.dir}/`)).map((o) => o.dir);
    for (const file of codeFiles(root, ws.dir, nested)) {
      const text = readFileSync(join(root, file), "utf8");
      const seen = new Set<string>();
      const found: { line: number; message: string }[] = [];
      for (const pattern of SPECIFIERS) {
        for (const m of text.matchAll(pattern)) {
          const spec = m[1] ?? "";
          const line = lineAt(text, m.index + m[0].indexOf(spec));
          let message: string | undefined;
          if (spec.startsWith(".")) {
            const owner = ownerOf(resolve(root, dirname(file), spec));
            if (owner && owner !== ws) message = `reaches into ${owner.dir} by the relative path "${spec}"`;
          } else if (spec.startsWith("@reeltime/")) {
            const dep = packageOf(spec);
            const declared = isTestFile(file)
              ? ws.dependencies.includes(dep) || ws.devDependencies.includes(dep)
              : ws.dependencies.includes(dep);
            if (dep !== ws.name && !declared)
              message = `imports "${spec}", which ${ws.dir}/package.json does not declare in dependencies`;
          }
          const key = `${line}:${spec}`;
          if (message && !seen.has(key)) {
            seen.add(key);
            found.push({ line, message });
          }
        }
      }
      for (const f of found.sort((a, b) => a.line - b.line)) problems.push(`${file}:${f.line} ${f.message}`);
    }
  }
  return problems;
}
