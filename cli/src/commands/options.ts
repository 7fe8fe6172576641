import { ReeltimeError } from "@reeltime/runtime";

/** Parses --metrics-port: an integer 0-65535 (0 picks a free port), else one clear usage error. */
export function metricsPortOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new ReeltimeError("REELTIME_ERR_USAGE", `--metrics-port must be 0-65535, got ${value}`);
  return n;
}
