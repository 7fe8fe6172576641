import closeWithGrace from "close-with-grace";
import type { Logger } from "pino";
import { flushTraces } from "./tracing.ts";

/**
 * Runs `close` once on SIGTERM/SIGINT or a fatal error, within `delayMs`, then exits.
 * `close` should stop accepting work, finish what is in flight and flush buffers; the spans
 * it produced are exported before the exit.
 */
export function onShutdown(log: Logger, close: () => Promise<void>, delayMs = 10_000): void {
  closeWithGrace({ delay: delayMs }, async ({ signal, err }) => {
    if (err) log.error({ err }, "fatal error, shutting down");
    else log.info({ signal }, "shutting down");
    await close();
    await flushTraces();
  });
}
