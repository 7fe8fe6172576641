import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";

// Project standard: a class keeps its private members private with ES `#` fields and methods,
// never TypeScript's `private` / `protected` modifiers (one style, and enforced at run time).
// Parsed with TypeScript, so a word "private" in a string, a comment or a property name is not
// a modifier. A constructor has no `#` form: one made through a static factory says so in its doc.
const ROOT = resolve(import.meta.dirname, "../../..");
const SKIP = new Set(["node_modules", "dist", "generated"]);

const workspaces = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { workspaces: string[] })
  .workspaces;

/** TypeScript sources under `dir`, leaving out node_modules, dist, generated and hidden folders. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return SKIP.has(e.name) || e.name.startsWith(".") ? [] : tsFiles(path);
    return /\.[cm]?ts$/.test(e.name) ? [path] : [];
  });
}

/** `file:line modifier member` for each `private` or `protected` modifier in `file`. */
function accessModifiers(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    for (const m of (ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined) ?? []) {
      if (m.kind !== ts.SyntaxKind.PrivateKeyword && m.kind !== ts.SyntaxKind.ProtectedKeyword) continue;
      const line = source.getLineAndCharacterOfPosition(m.getStart(source)).line + 1;
      const name = ts.isConstructorDeclaration(node)
        ? "constructor"
        : (ts.getNameOfDeclaration(node as ts.Declaration)?.getText(source) ?? "?");
      found.push(`${relative(ROOT, file)}:${line} ${m.getText(source)} ${name}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("private class members", () => {
  it("a private or protected modifier is found and named by file:line; # members and the word elsewhere are not", () => {
    const dir = mkdtempSync(join(tmpdir(), "reeltime-private-"));
    dirs.push(dir);
    const bad = [
      "export class Log {",
      "  #fine = 1;",
      "  private count = 0;",
      "  protected static readonly limit = 3;",
      "  private constructor() {}",
      "  private async flush(): Promise<void> {}",
      "}",
      "",
    ].join("\n");
    const good = [
      "/** private members are # here; protected-mode is a Redis setting. */",
      "interface Manifest { private?: boolean }",
      "const pkg: Manifest = { private: true };",
      'const note = "private subnets of the brokers";',
      "export class Log {",
      "  #count = 0;",
      "  static readonly #limit = 3;",
      "  async #flush(): Promise<void> {}",
      "  get size(): number { return this.#count + Log.#limit + (pkg.private ? note.length : 0); }",
      "}",
      "",
    ].join("\n");
    writeFileSync(join(dir, "bad.ts"), bad);
    writeFileSync(join(dir, "good.ts"), good);
    for (const skipped of ["node_modules", "dist", "generated", ".cache"]) {
      mkdirSync(join(dir, skipped));
      writeFileSync(join(dir, skipped, "skipped.ts"), bad);
    }
    const files = tsFiles(dir);
    expect(files.map((f) => relative(dir, f)).sort()).toEqual(["bad.ts", "good.ts"]);
    const rel = relative(ROOT, join(dir, "bad.ts"));
    expect(files.flatMap(accessModifiers)).toEqual([
      `${rel}:3 private count`,
      `${rel}:4 protected limit`,
      `${rel}:5 private constructor`,
      `${rel}:6 private flush`,
    ]);
  });

  it("no TypeScript source of a workspace has one (use #name)", () => {
    const files = [...new Set(workspaces.flatMap((w) => tsFiles(join(ROOT, w))))];
    for (const w of workspaces)
      expect(
        files.some((f) => f.startsWith(join(ROOT, w, "/"))),
        `${w} has TypeScript sources`,
      ).toBe(true);
    expect(files.flatMap(accessModifiers), "make these #name (ES private) members").toEqual([]);
  });
});
