// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by package.
//   node bench/src/profile.ts FILE.cpuprofile [TOP]
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Where a frame's code lives: a package, reeltime's own source, Node's internals, or V8's pseudo-frames. */
export function packageOf(url: string, name: string): string {
  if (!url) return `(${name || "anonymous"})`.replace(/^\(\((.*)\)\)$/, "($1)");
  if (url.startsWith("node:")) return "node internals";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const m = /\/work\/[^/]+\/([^/]+(?:\/[^/]+)?)\//.exec(url);
  return m ? `reeltime ${m[1]}` : url;
}

export function summarise(file: string, top = 15) {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + (deltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const f = n.callFrame;
    const short = f.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/\/work\/[^/]+\//, "");
    const key = `${f.functionName || "(anonymous)"} ${short ? `${short}:${f.lineNumber + 1}` : ""}`.trim();
    fn.set(key, (fn.get(key) ?? 0) + us);
    const k = packageOf(f.url, f.functionName);
    pkg.set(k, (pkg.get(k) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), share: Math.round((1000 * us) / total) / 10 }));
  return { seconds: Math.round(total / 1e5) / 10, functions: rank(fn), packages: rank(pkg) };
}

if (import.meta.main) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write("usage: node bench/src/profile.ts FILE.cpuprofile [TOP]\n");
    process.exit(2);
  }
  const s = summarise(file, Number(top ?? 15));
  process.stdout.write(`${file}: ${s.seconds} s sampled\n\nself time by package:\n`);
  for (const r of s.packages) process.stdout.write(`  ${String(r.share).padStart(5)} %  ${r.name}\n`);
  process.stdout.write("\nself time by function:\n");
  for (const r of s.functions) process.stdout.write(`  ${String(r.share).padStart(5)} %  ${r.name}\n`);
}
