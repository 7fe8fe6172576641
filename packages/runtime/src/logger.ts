import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";

export type { Logger } from "pino";

/**
 * Paths that must never reach a log line: keys, tokens, passwords and request bodies.
 * Client IPs are truncated before anything logs them; the raw socket address is redacted too.
 */
export const REDACT_PATHS = [
  "req.headers.authorization",
  'req.headers["x-reeltime-key"]',
  "req.headers.cookie",
  "req.query.key",
  "req.remoteAddress",
  "req.remotePort",
  "req.body",
  "body",
  "payload",
  "writeKey",
  "token",
  "password",
  "*.password",
  "*.apiKey",
  "*.writeKey",
];

/** JSON logs to stdout with ECS-style top-level names (`@timestamp`, `log.level`, `service.name`). */
export function createLogger(service: string, options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const opts: LoggerOptions = {
    level: process.env.LOG_LEVEL ?? "info",
    messageKey: "message",
    timestamp: () => `,"@timestamp":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ "log.level": label }) },
    base: { "service.name": service },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    ...options,
  };
  return destination ? pino(opts, destination) : pino(opts);
}
