// The SDK's published types and its API report, with API Extractor. For each entry point
// (`.`, `./hls`, `./clicks`) it rolls the declarations tsc wrote to dist/dts/ into one
// self-contained file, dist/<entry>.d.ts, that imports nothing but hls.js, and compares the
// public surface with the committed report in player-sdk/etc/. A change to the public API
// therefore shows up in review as a diff of the report.
//
//   node scripts/api.ts           check: fail when the surface differs from the report
//   node scripts/api.ts --update  accept the current surface: rewrite the reports
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Extractor, ExtractorConfig, ExtractorLogLevel, type ExtractorResult } from "@microsoft/api-extractor";

export const root = join(import.meta.dirname, "..");

/** Entry points: name in the report, declaration tsc emits, rolled-up file in the package. */
export const API_ENTRIES = [
  { name: "player-sdk", dts: "dist/dts/index.d.ts", rollup: "dist/index.d.ts" },
  { name: "player-sdk-hls", dts: "dist/dts/hls/index.d.ts", rollup: "dist/hls.d.ts" },
  { name: "player-sdk-clicks", dts: "dist/dts/clicks/index.d.ts", rollup: "dist/clicks.d.ts" },
] as const;

export interface ApiCheck {
  name: string;
  ok: boolean;
  reportChanged: boolean;
  errors: string[];
}

/** Rolls up the types and checks (or, with `update`, rewrites) the API reports. */
export function extractApi(update: boolean): ApiCheck[] {
  mkdirSync(join(root, "etc"), { recursive: true });
  const packageJsonFullPath = join(root, "package.json");
  return API_ENTRIES.map((e) => {
    const config = ExtractorConfig.prepare({
      configObjectFullPath: join(root, "api-extractor.json"),
      packageJsonFullPath,
      configObject: {
        projectFolder: root,
        mainEntryPointFilePath: join(root, e.dts),
        bundledPackages: [],
        compiler: { tsconfigFilePath: join(root, "tsconfig.api.json") },
        apiReport: {
          enabled: true,
          reportFileName: `${e.name}.api.md`,
          reportFolder: join(root, "etc"),
          reportTempFolder: join(root, "dist", "api-temp"),
        },
        docModel: { enabled: false },
        tsdocMetadata: { enabled: false },
        dtsRollup: { enabled: true, untrimmedFilePath: join(root, e.rollup) },
        messages: {
          // The SDK marks no release tags (alpha/beta/public): everything exported is public.
          extractorMessageReporting: {
            "ae-missing-release-tag": { logLevel: ExtractorLogLevel.None },
            // Doc comments are welcome but not required of every member.
            "ae-undocumented": { logLevel: ExtractorLogLevel.None },
            // Types reachable from the API but not exported by name are listed in the report
            // (so review sees them) rather than failing the build.
            "ae-forgotten-export": { logLevel: ExtractorLogLevel.None, addToApiReportFile: true },
            default: { logLevel: ExtractorLogLevel.Warning },
          },
          tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
          compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Error } },
        },
      },
    });
    const errors: string[] = [];
    const result: ExtractorResult = Extractor.invoke(config, {
      localBuild: update,
      showVerboseMessages: false,
      messageCallback: (m) => {
        // "The report was created/copied" notices are what --update is for, not problems.
        const notice = update && m.messageId.startsWith("console-");
        if (!notice && (m.logLevel === ExtractorLogLevel.Error || m.logLevel === ExtractorLogLevel.Warning))
          errors.push(m.text);
        m.handled = true;
      },
    });
    return {
      name: e.name,
      ok: result.succeeded && errors.length === 0,
      reportChanged: result.apiReportChanged,
      errors,
    };
  });
}

/** Module specifiers a rolled-up declaration file imports (must be none but hls.js). */
export function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  return [...text.matchAll(/(?:from|import\()\s*["']([^"']+)["']/g)].map((m) => m[1]!);
}

if (import.meta.main) {
  const update = process.argv.includes("--update");
  let ok = true;
  for (const r of extractApi(update)) {
    ok &&= r.ok;
    process.stdout.write(
      `${r.ok ? "✔" : "✘"} ${r.name}: ${r.reportChanged ? (update ? "report updated" : `public API differs from etc/${r.name}.api.md`) : "report current"}\n`,
    );
    for (const e of r.errors) process.stdout.write(`    ${e}\n`);
  }
  if (!ok) {
    process.stderr.write(
      "the SDK's public API changed: review it, then run `node scripts/api.ts --update` in player-sdk\n",
    );
    process.exit(1);
  }
}
