import { archivedEventIds, publishEvents, syntheticEvents } from "../src/drill/workload.ts";

export { syntheticEvents };
export const publishAll = publishEvents;
export const archivedIds = archivedEventIds;

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
