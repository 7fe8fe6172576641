import type { BenchOptions } from "../options.ts";
import type { Result } from "../report.ts";

export async function producer(_o: BenchOptions): Promise<Result> {
  throw new Error("not yet");
}
