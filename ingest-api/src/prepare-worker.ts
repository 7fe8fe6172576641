import { warmUpValidators } from "@reeltime/events";
import { type BatchInput, type Prepared, prepareBatch } from "./prepare.ts";

// A worker thread of the prepare pool (prepare-pool.ts): the validators are compiled when the
// thread starts, not on its first request.
warmUpValidators();

export default function prepare(input: BatchInput): Prepared {
  return prepareBatch(input);
}
