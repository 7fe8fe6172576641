// What other workspaces import from @reeltime/archive-s3: the adapter that @reeltime/connectors'
// createArchive loads when REELTIME_ARCHIVE=s3, and the S3 client settings the upload API
// presigns with (the same bucket, endpoint and addressing as the archive).
export { createS3Archive, s3ClientConfig } from "./s3-archive.ts";
