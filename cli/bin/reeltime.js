#!/usr/bin/env node
// Entry point of the `reeltime` command; the TypeScript sources run on Node's type stripping.
// OpenTelemetry starts first (a no-op unless OTEL_* variables ask for it), before any
// instrumented library is loaded.
await import("@reeltime/runtime/otel");

// kafkajs's negative-timer warning (tulios/kafkajs#1751) is hidden; every other warning prints.
const { hideKafkajsTimerWarning } = await import("@reeltime/runtime");
hideKafkajsTimerWarning();
const { main } = await import("../src/main.ts");

process.exitCode = await main(process.argv);
// A failed command has printed its one line; timers or sockets a half-started service left
// behind must not keep the process alive after it.
if (process.exitCode !== 0) process.exit(process.exitCode);
