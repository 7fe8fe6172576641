CREATE TABLE IF NOT EXISTS "{{schema}}"."jobs" (
  "job_id" varchar,
  "video_id" varchar,
  "app_id" varchar,
  "status" varchar,
  "source" varchar,
  "created_at" timestamp(3),
  "updated_at" timestamp(3),
  "completed_at" timestamp(3),
  "queue_wait_ms" bigint,
  "duration_ms" bigint,
  "media_duration_ms" bigint,
  "renditions_completed" bigint,
  "retries" bigint,
  "total_bytes" bigint,
  "speed" double,
  "failed_step" varchar,
  "failed_rendition" varchar,
  "error_code" varchar,
  "error_message" varchar,
  "exit_code" bigint,
  "last_seq" bigint,
  "steps" varchar,
  "chunks" varchar,
  "dt" varchar WITH (partition_projection_type = 'DATE', partition_projection_format = 'yyyy-MM-dd', partition_projection_range = ARRAY['{{dt_from}}', '{{dt_to}}'], partition_projection_interval = 1, partition_projection_interval_unit = 'DAYS')
)
WITH (
  format = 'PARQUET',
  external_location = 's3://{{bucket}}/records/jobs/',
  partitioned_by = ARRAY['dt'],
  partition_projection_enabled = true,
  partition_projection_location_template = 's3://{{bucket}}/records/jobs/dt=${dt}/'
);
