import { DEAD_LETTER_DATA_STREAM, RECORD_INDEX } from "@reeltime/events";
import type { SourceName } from "./types.ts";

export interface Source {
  /** Index pattern (Grafana datasource database, Kibana data view title). */
  index: string;
  /** The time field the dashboard's time range applies to. */
  timeField: string;
  /** Grafana datasource uid (provisioned with this uid, referenced by every panel). */
  grafanaUid: string;
  /** Kibana data view id. */
  dataViewId: string;
  name: string;
}

/** Every Elasticsearch source, from the contract's index names. */
export const SOURCES: Record<SourceName, Source> = {
  views: {
    index: RECORD_INDEX.views,
    timeField: "started_at",
    grafanaUid: "reeltime-es-views",
    dataViewId: "reeltime-views",
    name: "reeltime views",
  },
  jobs: {
    index: RECORD_INDEX.jobs,
    timeField: "created_at",
    grafanaUid: "reeltime-es-jobs",
    dataViewId: "reeltime-jobs",
    name: "reeltime jobs",
  },
  events: {
    index: "reeltime-events-*",
    timeField: "@timestamp",
    grafanaUid: "reeltime-es-events",
    dataViewId: "reeltime-events",
    name: "reeltime events",
  },
  deadLetters: {
    index: DEAD_LETTER_DATA_STREAM,
    timeField: "@timestamp",
    grafanaUid: "reeltime-es-dead-letter",
    dataViewId: "reeltime-dead-letter",
    name: "reeltime dead letters",
  },
};

export const PROMETHEUS_UID = "reeltime-prometheus";
