import { ReeltimeError } from "@reeltime/runtime";

/** The SQL or its parameters are wrong: the engine's own message says where. */
export function queryFailed(reason: string, cause?: unknown): ReeltimeError {
  return new ReeltimeError("REELTIME_ERR_QUERY", `query failed: ${reason}`, { cause });
}

export function queryCancelled(detail: string, cause?: unknown): ReeltimeError {
  return new ReeltimeError("REELTIME_ERR_QUERY_CANCELLED", `query cancelled: ${detail}`, { cause });
}

/** Integers stay exact: `number` while safe, `bigint` beyond. */
export function integer(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}
