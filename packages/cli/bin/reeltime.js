#!/usr/bin/env node
// Entry point of the `reeltime` command; the TypeScript sources run on Node's type stripping.
// OpenTelemetry starts first (a no-op unless OTEL_* variables ask for it), before any
// instrumented library is loaded.
await import("@reeltime/runtime/otel");

// kafkajs 2.2.4 schedules a timer with a negative delay (tulios/kafkajs#1751): Node runs it
// after 1 ms, as kafkajs means, and warns on every start. Every other warning prints as usual.
const printers = process.listeners("warning");
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  if (warning.name !== "TimeoutNegativeWarning") for (const print of printers) print(warning);
});
const { main } = await import("../src/main.ts");

process.exitCode = await main(process.argv);
// A failed command has printed its one line; timers or sockets a half-started service left
// behind must not keep the process alive after it.
if (process.exitCode !== 0) process.exit(process.exitCode);
