import { parentPort } from "node:worker_threads";
import { warmUpValidators } from "@reeltime/events";
import { type BatchInput, prepareBatch } from "./prepare.ts";

// A worker thread of the prepare pool (prepare-pool.ts): compiles the validators when it starts,
// then prepares each request it is sent and answers with its id. The record bytes are moved, not copied.
warmUpValidators();

parentPort?.on("message", ({ id, input }: { id: number; input: BatchInput }) => {
  try {
    const prepared = prepareBatch(input);
    const moved = prepared.kind === "ok" ? prepared.topics.map((t) => t.bytes.buffer as ArrayBuffer) : [];
    parentPort?.postMessage({ id, prepared }, moved);
  } catch (err) {
    parentPort?.postMessage({ id, error: `preparing the request failed: ${(err as Error).message}` });
  }
});
