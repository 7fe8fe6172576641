CREATE EXTERNAL TABLE IF NOT EXISTS `{{database}}`.`videos` (
  `video_id` string,
  `app_id` string,
  `title` string,
  `owner_id` string,
  `status` string,
  `failure_code` string,
  `failure_message` string,
  `upload_id` string,
  `source_key` string,
  `source_version` string,
  `source_bytes` bigint,
  `content_type` string,
  `job_id` string,
  `duration_ms` bigint,
  `width` bigint,
  `height` bigint,
  `renditions` string,
  `manifests` string,
  `thumbnails` string,
  `uploaded_at` timestamp,
  `processing_at` timestamp,
  `ready_at` timestamp,
  `failed_at` timestamp,
  `updated_at` timestamp,
  `upload_to_ready_ms` bigint,
  `revision` bigint
)
PARTITIONED BY (`dt` string)
STORED AS PARQUET
LOCATION 's3://{{bucket}}/records/videos/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '2024-01-01,NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://{{bucket}}/records/videos/dt=${dt}/',
  'parquet.compression' = 'ZSTD'
);
