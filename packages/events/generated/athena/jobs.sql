CREATE EXTERNAL TABLE IF NOT EXISTS `{{database}}`.`jobs` (
  `job_id` string,
  `video_id` string,
  `app_id` string,
  `status` string,
  `source` string,
  `created_at` timestamp,
  `updated_at` timestamp,
  `completed_at` timestamp,
  `queue_wait_ms` bigint,
  `duration_ms` bigint,
  `media_duration_ms` bigint,
  `renditions_completed` bigint,
  `retries` bigint,
  `total_bytes` bigint,
  `speed` double,
  `failed_step` string,
  `failed_rendition` string,
  `error_code` string,
  `error_message` string,
  `exit_code` bigint,
  `last_seq` bigint,
  `steps` string,
  `chunks` string
)
PARTITIONED BY (`dt` string)
STORED AS PARQUET
LOCATION 's3://{{bucket}}/records/jobs/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '2024-01-01,NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://{{bucket}}/records/jobs/dt=${dt}/',
  'parquet.compression' = 'ZSTD'
);
