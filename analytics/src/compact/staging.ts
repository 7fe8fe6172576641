import type { Archive, ObjectInfo } from "@reeltime/connectors";
import { ReeltimeError } from "@reeltime/runtime";

/** The steps of a swap, in order (see `compact`). */
export type CompactionStep = "staged" | "committed" | "inputs-deleted" | "published";

const PREFIX = "_compacting-";
const folderOf = (key: string) => key.slice(0, key.lastIndexOf("/") + 1);
const baseOf = (key: string) => key.slice(key.lastIndexOf("/") + 1);

/**
 * Where a swap stages its output: beside the final file, under a `_` name Athena and Hive
 * skip, with a `.json` commit record once the staged file is checked.
 */
export const stagedNames = {
  of(finalKey: string): { parquet: string; record: string } {
    const stem = `${folderOf(finalKey)}${PREFIX}${baseOf(finalKey).replace(/\.compacted\.parquet$/, "")}`;
    return { parquet: `${stem}.parquet`, record: `${stem}.json` };
  },
  isStaged: (key: string) => baseOf(key).startsWith(PREFIX),
};

interface CommitRecord {
  final: string;
  inputs: string[];
}

function readRecord(bytes: Uint8Array, key: string): CommitRecord {
  const r = JSON.parse(new TextDecoder().decode(bytes)) as Partial<CommitRecord>;
  if (typeof r.final !== "string" || !Array.isArray(r.inputs) || !r.inputs.every((k) => typeof k === "string"))
    throw new ReeltimeError("REELTIME_ERR_COMPACTION", `${key} is not a compaction commit record`);
  return r as CommitRecord;
}

/**
 * Finishes or undoes the swaps a crash interrupted in `folder`. A commit record means the
 * staged file was checked and its inputs may already be partly deleted: the swap is finished
 * (remaining inputs deleted, final file written from the staged one). A staged file without a
 * record was never checked and nothing was deleted for it: it is deleted.
 */
export async function recoverFolder(
  archive: Archive,
  folder: string,
  objects: Pick<ObjectInfo, "key">[],
): Promise<{ finished: number; undone: number }> {
  const here = new Set(objects.map((o) => o.key).filter((k) => folderOf(k) === folder));
  let finished = 0;
  let undone = 0;
  for (const key of [...here].filter((k) => stagedNames.isStaged(k) && k.endsWith(".json"))) {
    const record = readRecord(await archive.get(key), key);
    const staged = stagedNames.of(record.final);
    await archive.delete(record.inputs.filter((k) => here.has(k)));
    if (!here.has(record.final)) {
      if (!here.has(staged.parquet))
        throw new ReeltimeError(
          "REELTIME_ERR_COMPACTION",
          `${key}: neither ${record.final} nor its staged file ${staged.parquet} exists; restore them from a backup or versioning`,
        );
      await archive.put(record.final, await archive.get(staged.parquet), {
        contentType: "application/vnd.apache.parquet",
      });
    }
    await archive.delete([staged.parquet, key].filter((k) => here.has(k)));
    here.delete(staged.parquet);
    finished++;
  }
  for (const key of [...here].filter((k) => stagedNames.isStaged(k) && k.endsWith(".parquet"))) {
    if (here.has(key.replace(/\.parquet$/, ".json"))) continue;
    await archive.delete([key]);
    undone++;
  }
  return { finished, undone };
}
