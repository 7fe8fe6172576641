import { cpSync, existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, matchesGlob, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allTools, exec, type PythonTools } from "../../test/tools.ts";

const DOCKER = new URL("..", import.meta.url).pathname;
const REPO = new URL("../../../../", import.meta.url).pathname;
const ROLES = { ingest: ["ingest"], process: ["process"], pipeline: ["pipeline", "worker"] } as const;
/**
 * The workspaces each role runs: the CLI, its app, and (process) the upgrade hook's setup and the
 * CDN real-time log consumer (`reeltime cdn consume`, the chart's cdnConsumer).
 */
const ROLE_ROOTS: Record<keyof typeof ROLES, string[]> = {
  ingest: ["cli", "ingest-api", "uploads", "catalogue", "notifier"],
  process: ["cli", "stream-processors", "infra/deploy", "catalogue", "notifier", "packages/cdn-logs"],
  pipeline: ["cli", "pipeline"],
};

const manifest = (dir: string) =>
  JSON.parse(readFileSync(join(REPO, dir, "package.json"), "utf8")) as {
    name: string;
    dependencies?: Record<string, string>;
  };

/** The workspaces `roots` need at run time: their folders and those of their @reeltime dependencies, transitively. */
function closure(roots: string[]): Set<string> {
  const root = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { workspaces: string[] };
  const dirOf = new Map(root.workspaces.map((w) => [manifest(w).name, w]));
  const out = new Set<string>();
  const visit = (dir: string) => {
    if (out.has(dir)) return;
    out.add(dir);
    for (const dep of Object.keys(manifest(dir).dependencies ?? {})) {
      const d = dirOf.get(dep);
      if (d) visit(d);
    }
  };
  for (const r of roots) visit(r);
  return out;
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

interface Instruction {
  cmd: string;
  flags: string[];
  value: string[];
  json: boolean;
  original: string;
}

let py: PythonTools;
beforeAll(async () => {
  ({ py } = await allTools());
}, 20 * 60_000);

/** Parses a Dockerfile with BuildKit's own parser (the `dockerfile` package wraps its Go code). */
async function parse(file: string): Promise<Instruction[]> {
  const script =
    "import dockerfile,json,sys;print(json.dumps([c._asdict() for c in dockerfile.parse_file(sys.argv[1])]))";
  const r = await exec("python3", ["-c", script, file], { env: py.env });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Instruction[];
}

/** Stages in order: name and instructions. */
function stages(ins: Instruction[]) {
  const out: { name: string; from: string; body: Instruction[] }[] = [];
  for (const i of ins)
    if (i.cmd === "FROM") out.push({ from: i.value[0]!, name: i.value[2] ?? String(out.length), body: [] });
    else out.at(-1)?.body.push(i);
  return out;
}

/** .dockerignore semantics: a path is left out when it or a parent matches; later `!` lines re-include. */
function ignored(path: string, patterns: string[]): boolean {
  let out = false;
  const parts = path.split("/");
  for (const raw of patterns) {
    const neg = raw.startsWith("!");
    const pattern = neg ? raw.slice(1) : raw;
    if (parts.some((_, i) => matchesGlob(parts.slice(0, i + 1).join("/"), pattern))) out = !neg;
  }
  return out;
}

const ignoreFile = (role: string) =>
  readFileSync(join(DOCKER, `${role}.Dockerfile.dockerignore`), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));

describe.each(Object.entries(ROLES))("%s.Dockerfile", (role, cmd) => {
  const file = join(DOCKER, `${role}.Dockerfile`);
  const roots = ROLE_ROOTS[role as keyof typeof ROLES];

  it("passes hadolint with no finding at all", async () => {
    const r = await exec(py.bin("hadolint"), ["--failure-threshold", "info", file]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout.trim()).toBe("");
  });

  it("is multi-stage: dependencies and sources in build stages, a fresh pinned base at the end", async () => {
    const ins = await parse(file);
    const arg = ins.find((i) => i.cmd === "ARG" && i.value[0]!.startsWith("NODE_IMAGE="))!;
    expect(arg.value[0]).toMatch(/^NODE_IMAGE=node:\d+\.\d+\.\d+-[a-z]+-slim$/);
    const s = stages(ins);
    expect(s.map((x) => x.name)).toEqual(["deps", "build", "runtime"]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile variable, not a template
    expect(s[2]!.from).toBe("${NODE_IMAGE}");
    const copies = s[2]!.body.filter((i) => i.cmd === "COPY");
    expect(copies.map((c) => c.flags.find((f) => f.startsWith("--from=")))).toEqual(["--from=build"]);
    expect(s[0]!.body.find((i) => i.cmd === "RUN")!.value[0]).toContain("npm ci --omit=dev");
  });

  it("runs as a non-root user and starts the reeltime command in exec form", async () => {
    const runtime = stages(await parse(file))[2]!.body;
    const users = runtime.filter((i) => i.cmd === "USER");
    expect(users.map((u) => u.value[0])).toEqual(["10001:10001"]);
    const userAt = runtime.indexOf(users[0]!);
    expect(runtime.slice(userAt).some((i) => i.cmd === "RUN")).toBe(false);
    const entry = runtime.find((i) => i.cmd === "ENTRYPOINT")!;
    expect(entry.json).toBe(true);
    expect(entry.value).toEqual(["node", "cli/bin/reeltime.js"]);
    const command = runtime.find((i) => i.cmd === "CMD")!;
    expect(command.value).toEqual(cmd);
    expect(runtime.some((i) => i.cmd === "ADD")).toBe(false);
  });

  it("starts a command `reeltime` has (checked by running its --help from the sources)", async () => {
    const r = await exec(join(REPO, "node_modules/.bin/node"), ["cli/bin/reeltime.js", ...cmd, "--help"], {
      cwd: REPO,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Usage:");
  });

  it("copies exactly its role's workspaces: the run-time dependency closure of the CLI and its app", async () => {
    const want = closure(roots);
    const s = stages(await parse(file));
    const manifests = s[0]!.body
      .filter((i) => i.cmd === "COPY")
      .flatMap((c) => c.value.slice(0, -1))
      .filter((src) => src.endsWith("/package.json"))
      .map((src) => src.slice(0, -"/package.json".length));
    expect(manifests.sort()).toEqual([...want].sort());
    const sources = s[1]!.body
      .filter((i) => i.cmd === "COPY")
      .flatMap((c) => c.value.slice(0, -1))
      .filter((src) => src !== "tsconfig.base.json");
    expect(sources.sort()).toEqual([...want].sort());
    const patterns = ignoreFile(role);
    for (const c of s
      .flatMap((x) => x.body)
      .filter((i) => i.cmd === "COPY" && !i.flags.some((f) => f.startsWith("--from="))))
      for (const src of c.value.slice(0, -1)) {
        expect(existsSync(join(REPO, src)), src).toBe(true);
        expect(ignored(src, patterns), `${src} is in ${role}.Dockerfile.dockerignore`).toBe(false);
      }
  });

  it("sends its workspaces' sources but no other workspace, tests, dev tooling or node_modules in the build context", () => {
    const patterns = ignoreFile(role);
    const own = closure(roots);
    for (const keep of [
      "cli/bin/reeltime.js",
      "packages/events/src/index.ts",
      ...[...own].map((d) => `${d}/package.json`),
    ])
      expect(ignored(keep, patterns), keep).toBe(false);
    if (role === "process") expect(ignored("infra/deploy/setup/setup.ts", patterns)).toBe(false);
    const root = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { workspaces: string[] };
    for (const other of root.workspaces.filter((w) => !own.has(w) && !own.has(w.split("/")[0]!)))
      expect(ignored(`${other}/src/index.ts`, patterns), other).toBe(true);
    for (const drop of [
      "node_modules/aws-cdk-lib/package.json",
      "ingest-api/test/app.test.ts",
      "cli/test/errors.test.ts",
      "infra/deploy/cdk/src/stack.ts",
      "infra/deploy/helm/reeltime/values.yaml",
      "docs/errors.md",
      ".git/HEAD",
    ])
      expect(ignored(drop, patterns), drop).toBe(true);
  });

  it("builds, as its stages say, a tree that runs its command and loads its app; other commands fail in one line", async () => {
    // No Docker engine here: the deps and build stages are replayed on the filesystem (COPY with
    // the .dockerignore, then the npm ci of the RUN line from the local npm cache).
    const s = stages(await parse(file));
    const dir = await mkdtemp(join(tmpdir(), `reeltime-image-${role}-`));
    dirs.push(dir);
    const patterns = ignoreFile(role);
    for (const c of [...s[0]!.body, ...s[1]!.body].filter((i) => i.cmd === "COPY")) {
      const dest = c.value.at(-1)!;
      for (const src of c.value.slice(0, -1)) {
        const to = dest.endsWith("/") || dest === "./" ? join(dir, dest, basename(src)) : join(dir, dest);
        cpSync(join(REPO, src), to, {
          recursive: true,
          filter: (from) => from === join(REPO, src) || !ignored(relative(REPO, from), patterns),
        });
      }
    }
    const run = s[0]!.body.find((i) => i.cmd === "RUN")!.value[0]!;
    // The layer-size step (npm cache clean) is left out: it would empty this machine's cache.
    const ci = run.split("&&")[0]!.trim();
    expect(ci).toMatch(/^npm ci --omit=dev /);
    const env = { ...process.env, npm_config_prefer_offline: "true", NODE_ENV: "production" };
    const installed = await exec("sh", ["-c", ci], { cwd: dir, env });
    expect(installed.code, installed.stderr).toBe(0);
    const node = join(REPO, "node_modules/.bin/node");
    const help = await exec(node, ["cli/bin/reeltime.js", ...cmd, "--help"], { cwd: dir, env });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain("Usage:");
    const apps = [manifest(roots[1]!).name, ...(role === "process" ? ["@reeltime/cdn-logs"] : [])];
    for (const app of apps) {
      const load = await exec(node, ["--input-type=module", "-e", `await import(${JSON.stringify(app)})`], {
        cwd: dir,
        env,
      });
      expect(load.code, `${app}: ${load.stderr}`).toBe(0);
    }
    // A command of another role: one line naming what is missing, exit 2, no stack trace.
    const foreign = role === "pipeline" ? ["ingest"] : ["transcode", "/nonexistent/input.mp4"];
    const other = await exec(node, ["cli/bin/reeltime.js", ...foreign], { cwd: dir, env });
    expect(other.code, other.stderr).toBe(2);
    expect(other.stderr).toMatch(
      /^reeltime: this command needs @reeltime\/(pipeline|ingest-api), .*\[REELTIME_ERR_NOT_INSTALLED\]\n$/,
    );
    const size = await exec("du", ["-sm", join(dir, "node_modules")]);
    console.log(`${role} image: node_modules ${size.stdout.split("\t")[0]} MB for ${[...closure(roots)].join(", ")}`);
  }, 600_000);
});

describe("the three Dockerfiles", () => {
  it("installs ffmpeg in the pipeline image only", () => {
    for (const role of Object.keys(ROLES))
      expect(readFileSync(join(DOCKER, `${role}.Dockerfile`), "utf8").includes("ffmpeg"), role).toBe(
        role === "pipeline",
      );
  });
});
