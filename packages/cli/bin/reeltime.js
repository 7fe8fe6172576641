#!/usr/bin/env node
// Entry point of the `reeltime` command; the TypeScript sources run on Node's type stripping.
// OpenTelemetry starts first (a no-op unless OTEL_* variables ask for it), before any
// instrumented library is loaded.
await import("@reeltime/runtime/otel");
const { main } = await import("../src/main.ts");

process.exitCode = await main(process.argv);
