import { collectDefaultMetrics, Registry } from "prom-client";

export { Counter, Gauge, Histogram, Registry } from "prom-client";

/** A registry with the process's default metrics under the `reeltime_` prefix. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: "reeltime_" });
  // prom-client names these gauges *_total, which Prometheus reserves for counters (promtool
  // flags them); the same figures stay available per type in reeltime_nodejs_active_*.
  for (const name of ["handles", "requests", "resources"])
    registry.removeSingleMetric(`reeltime_nodejs_active_${name}_total`);
  return registry;
}

/** Latency buckets in seconds, from 0.5 ms to 10 s. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
