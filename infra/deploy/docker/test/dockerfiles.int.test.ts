import { existsSync, readFileSync } from "node:fs";
import { join, matchesGlob } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { allTools, exec, type PythonTools } from "../../test/tools.ts";

const DOCKER = new URL("..", import.meta.url).pathname;
const REPO = new URL("../../../../", import.meta.url).pathname;
const ROLES = { ingest: ["ingest"], process: ["process"], pipeline: ["pipeline", "worker"] } as const;

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

  it("copies every workspace manifest before npm ci, from sources that exist and are not ignored", async () => {
    const ins = await parse(file);
    const root = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { workspaces: string[] };
    const deps = stages(ins)[0]!.body.filter((i) => i.cmd === "COPY");
    const sources = deps.flatMap((c) => c.value.slice(0, -1));
    for (const w of root.workspaces) expect(sources, w).toContain(`${w}/package.json`);
    const patterns = ignoreFile(role);
    for (const c of ins.filter((i) => i.cmd === "COPY" && !i.flags.some((f) => f.startsWith("--from="))))
      for (const src of c.value.slice(0, -1)) {
        expect(existsSync(join(REPO, src)), src).toBe(true);
        expect(ignored(src, patterns), `${src} is in ${role}.Dockerfile.dockerignore`).toBe(false);
      }
  });

  it("sends the runtime entry points but no tests, dev tooling or node_modules in the build context", () => {
    const patterns = ignoreFile(role);
    for (const keep of [
      "cli/bin/reeltime.js",
      "packages/events/src/index.ts",
      "stream-processors/src/index.ts",
      "infra/deploy/setup/setup.ts",
      "infra/deploy/package.json",
    ])
      expect(ignored(keep, patterns), keep).toBe(false);
    for (const drop of [
      "node_modules/aws-cdk-lib/package.json",
      "ingest-api/test/app.test.ts",
      "infra/deploy/cdk/src/stack.ts",
      "infra/deploy/helm/reeltime/values.yaml",
      ".git/HEAD",
    ])
      expect(ignored(drop, patterns), drop).toBe(true);
  });
});

describe("the three Dockerfiles", () => {
  it("share their dependency and build stages byte for byte (one layer cache for all roles)", () => {
    const head = (role: string) => {
      const text = readFileSync(join(DOCKER, `${role}.Dockerfile`), "utf8")
        .replaceAll(`${role}.Dockerfile`, "ROLE.Dockerfile")
        .replaceAll(`reeltime/${role} `, "reeltime/ROLE ");
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile variable, not a template
      return text.slice(0, text.indexOf("FROM ${NODE_IMAGE} AS runtime"));
    };
    expect(head("process")).toBe(head("ingest"));
    expect(head("pipeline")).toBe(head("ingest"));
  });

  it("installs ffmpeg in the pipeline image only", () => {
    for (const role of Object.keys(ROLES))
      expect(readFileSync(join(DOCKER, `${role}.Dockerfile`), "utf8").includes("ffmpeg"), role).toBe(
        role === "pipeline",
      );
  });
});
