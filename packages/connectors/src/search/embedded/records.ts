import { join } from "node:path";
import type { JobRecord, VideoRecord, ViewRecord } from "@reeltime/events";
import { ReeltimeError } from "@reeltime/runtime";
import { videoDocId } from "../common.ts";
import { NdjsonLog } from "./log.ts";
import { mappingProblem } from "./mapping.ts";

type RecordKind = "views" | "jobs" | "videos";
type Records = { views: ViewRecord; jobs: JobRecord; videos: VideoRecord };
/** The field naming a record; a video is named by its app and id together (videoDocId). */
const RECORD_ID = { views: "view_id", jobs: "job_id", videos: "video_id" } as const;

/** Views, jobs or videos: the latest version of each record by id, from an append-only log. */
export class Table<K extends RecordKind> {
  readonly kind: K;
  readonly log: NdjsonLog<Records[K]>;
  readonly rows = new Map<string, Records[K]>();
  constructor(kind: K, dir: string) {
    this.kind = kind;
    this.log = new NdjsonLog(join(dir, `${kind}.ndjson`));
  }

  async open(): Promise<void> {
    this.rows.clear();
    const lines = await this.log.open();
    for (const r of lines) this.rows.set(this.idOf(r), r);
    // Upserts append; rewrite the file once superseded versions dominate it.
    if (lines.length > 1000 && lines.length > 2 * this.rows.size) await this.log.rewrite([...this.rows.values()]);
  }

  idOf(r: Records[K]): string {
    const id = (r as Record<string, unknown>)[RECORD_ID[this.kind]] as string;
    if (this.kind !== "videos" || typeof id !== "string" || id === "") return id;
    return videoDocId(r as VideoRecord);
  }

  async upsert(records: Records[K][]): Promise<void> {
    const problems: string[] = [];
    for (const r of records) {
      const id = this.idOf(r);
      const problem =
        typeof id === "string" && id !== "" ? mappingProblem(this.kind, r) : `${RECORD_ID[this.kind]} is required`;
      if (problem) problems.push(`${String(id)}: ${problem}`);
    }
    if (problems.length > 0)
      throw new ReeltimeError("REELTIME_ERR_SEARCH_REJECTED", `${this.kind} refused: ${problems.join("; ")}`);
    const copies = records.map((r) => structuredClone(r));
    await this.log.append(copies);
    for (const r of copies) this.rows.set(this.idOf(r), r);
  }
}
