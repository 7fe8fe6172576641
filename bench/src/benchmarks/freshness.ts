import type { BenchOptions } from "../options.ts";
import type { Result } from "../report.ts";

export async function freshness(_o: BenchOptions): Promise<Result> {
  throw new Error("not yet");
}
