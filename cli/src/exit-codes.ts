import { ERRORS, type ErrorSpec, type ExitClass, type ReeltimeError } from "@reeltime/runtime";

/** The process exit status of each exit class of the error table (docs/errors.md lists both). */
export const EXIT_CODES = {
  failure: 1,
  usage: 2,
} as const satisfies Record<ExitClass, number>;

/** `reeltime infra status` when a local service is not healthy. */
export const EXIT_UNHEALTHY = 3;

/** The exit status for an error: the one place that turns codes into exit statuses. */
export function exitCodeOf(err: ReeltimeError): number {
  return EXIT_CODES[(ERRORS[err.code] as ErrorSpec | undefined)?.exit ?? "failure"];
}
