/** Knobs shared by every benchmark; each reads only those it documents. */
export interface BenchOptions {
  /** Seconds each side runs per round (load-driven benchmarks). */
  duration: number;
  /** Alternating rounds of reeltime and baseline. */
  rounds: number;
  /** Events or rows per side (count-driven benchmarks); 0 = the benchmark's own default. */
  events: number;
  /** Concurrent HTTP connections or publish calls. */
  connections: number;
  /** Documents the Last-N data set holds. */
  docs: number;
  /** Samples (Freshness) or queries (Last-N) per case; 0 = the benchmark's own default. */
  samples: number;
  /** Write a CPU profile of reeltime's side to bench/out/profiles (Ingest: the server process). */
  profile: boolean;
  /** Last-N: delete its kept data set (app bench-lastn) and stop. */
  dropData: boolean;
  /** Ingest: the bus its server publishes to (kafka: the local Kafka, acks=all; embedded: the embedded log). */
  bus: "kafka" | "embedded";
  /**
   * Ingest: a second checkout of reeltime (e.g. `git worktree add DIR <commit>` plus its
   * node_modules) whose server runs as the "before" side, so a change is measured side by side.
   */
  before?: string;
  log: (line: string) => void;
}

export const DEFAULTS: Omit<BenchOptions, "log"> = {
  duration: 10,
  rounds: 2,
  events: 0,
  connections: 0,
  docs: 1_000_000,
  samples: 0,
  profile: false,
  dropData: false,
  bus: "kafka",
};

/** `value` unless it is 0 (not given), else `fallback`. */
export const or = (value: number, fallback: number) => (value > 0 ? value : fallback);
