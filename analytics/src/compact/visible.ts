import type { Archive } from "@reeltime/connectors";
import { splitSuperseded } from "./names.ts";

/**
 * The archive as readers must see it: `list` leaves out Parquet files that a compacted file
 * superseded (see `splitSuperseded`). Give this to the DuckDB engine so a query running while
 * compaction swaps files never counts a row twice.
 */
export function visibleArchive(archive: Archive): Archive {
  return {
    get driver() {
      return archive.driver;
    },
    start: () => archive.start(),
    shutdown: () => archive.shutdown(),
    health: () => archive.health(),
    put: (key, body, options) => archive.put(key, body, options),
    get: (key) => archive.get(key),
    exists: (key) => archive.exists(key),
    delete: (keys) => archive.delete(keys),
    list: async (prefix) => splitSuperseded(await archive.list(prefix)).visible,
  };
}
