// Response shapes of Amazon Rekognition Video, written from the API reference
// (docs.aws.amazon.com/rekognition/latest/APIReference: GetContentModeration, GetLabelDetection,
// GetFaceDetection; the SDK's types in @aws-sdk/client-rekognition): what the service answers
// while a job runs, when it succeeded (one page with NextToken, then the last page), and when it
// failed. Values are made up; the fields and their nesting are the service's.
import type {
  GetContentModerationResponse,
  GetFaceDetectionResponse,
  GetLabelDetectionResponse,
} from "@aws-sdk/client-rekognition";

export const VIDEO = {
  Bucket: "reeltime-archive",
  Name: "uploads/shop/clip-42/source.mp4",
  Version: "3HL4kqtJlcpXroDTDmJ",
};

const videoMetadata = {
  Codec: "h264",
  DurationMillis: 60_060,
  Format: "QuickTime / MOV",
  FrameRate: 29.97,
  FrameHeight: 720,
  FrameWidth: 1280,
  ColorRange: "LIMITED" as const,
};

export const moderationInProgress: GetContentModerationResponse = {
  JobStatus: "IN_PROGRESS",
  JobId: "mod-job-1",
  Video: { S3Object: VIDEO },
  JobTag: "job-42",
};

/** SEGMENTS aggregation: each detection has a start, an end and a duration. */
export const moderationPage1: GetContentModerationResponse = {
  JobStatus: "SUCCEEDED",
  JobId: "mod-job-1",
  VideoMetadata: videoMetadata,
  ModerationModelVersion: "7.0",
  ModerationLabels: [
    {
      Timestamp: 12_012,
      ModerationLabel: { Confidence: 93.50213, Name: "Violence", ParentName: "", TaxonomyLevel: 1 },
      StartTimestampMillis: 12_012,
      EndTimestampMillis: 15_849,
      DurationMillis: 3837,
      ContentTypes: [],
    },
    {
      Timestamp: 12_012,
      ModerationLabel: { Confidence: 88.21, Name: "Graphic Violence", ParentName: "Violence", TaxonomyLevel: 2 },
      StartTimestampMillis: 12_012,
      EndTimestampMillis: 14_181,
      DurationMillis: 2169,
      ContentTypes: [{ Confidence: 71.2, Name: "Animated" }],
    },
  ],
  NextToken: "mod-token-2",
  Video: { S3Object: VIDEO },
  JobTag: "job-42",
  GetRequestMetadata: { SortBy: "TIMESTAMP", AggregateBy: "SEGMENTS" },
};

export const moderationPage2: GetContentModerationResponse = {
  JobStatus: "SUCCEEDED",
  JobId: "mod-job-1",
  VideoMetadata: videoMetadata,
  ModerationModelVersion: "7.0",
  ModerationLabels: [
    {
      Timestamp: 41_041,
      ModerationLabel: { Confidence: 81.9, Name: "Alcohol Use", ParentName: "Alcohol", TaxonomyLevel: 2 },
      StartTimestampMillis: 41_041,
      EndTimestampMillis: 43_543,
      DurationMillis: 2502,
    },
  ],
  Video: { S3Object: VIDEO },
  JobTag: "job-42",
  GetRequestMetadata: { SortBy: "TIMESTAMP", AggregateBy: "SEGMENTS" },
};

export const moderationFailed: GetContentModerationResponse = {
  JobStatus: "FAILED",
  JobId: "mod-job-1",
  StatusMessage: "Unsupported codec/format.",
  Video: { S3Object: VIDEO },
  JobTag: "job-42",
};

export const labelsPage1: GetLabelDetectionResponse = {
  JobStatus: "SUCCEEDED",
  JobId: "label-job-1",
  VideoMetadata: videoMetadata,
  LabelModelVersion: "3.0",
  Labels: [
    {
      Timestamp: 0,
      Label: {
        Name: "Dog",
        Confidence: 97.4321,
        Instances: [{ BoundingBox: { Width: 0.3, Height: 0.4, Left: 0.1, Top: 0.2 }, Confidence: 97.4 }],
        Parents: [{ Name: "Animal" }, { Name: "Pet" }],
        Aliases: [],
        Categories: [{ Name: "Animals and Pets" }],
      },
      StartTimestampMillis: 0,
      EndTimestampMillis: 8008,
      DurationMillis: 8008,
    },
  ],
  NextToken: "label-token-2",
  Video: { S3Object: VIDEO },
  GetRequestMetadata: { SortBy: "TIMESTAMP", AggregateBy: "SEGMENTS" },
};

export const labelsPage2: GetLabelDetectionResponse = {
  JobStatus: "SUCCEEDED",
  JobId: "label-job-1",
  VideoMetadata: videoMetadata,
  LabelModelVersion: "3.0",
  Labels: [
    {
      Timestamp: 4004,
      Label: { Name: "Beach", Confidence: 90.0, Instances: [], Parents: [{ Name: "Nature" }], Aliases: [] },
      StartTimestampMillis: 4004,
      EndTimestampMillis: 30_030,
      DurationMillis: 26_026,
    },
    {
      Timestamp: 4004,
      Label: { Name: "Ball", Confidence: 85.5, Instances: [], Parents: [], Aliases: [] },
      StartTimestampMillis: 4004,
      EndTimestampMillis: 5005,
      DurationMillis: 1001,
    },
  ],
  Video: { S3Object: VIDEO },
  GetRequestMetadata: { SortBy: "TIMESTAMP", AggregateBy: "SEGMENTS" },
};

const face = (confidence: number) => ({
  BoundingBox: { Width: 0.2, Height: 0.3, Left: 0.4, Top: 0.1 },
  Landmarks: [{ Type: "eyeLeft" as const, X: 0.45, Y: 0.2 }],
  Pose: { Roll: 1.2, Yaw: -4.5, Pitch: 3.3 },
  Quality: { Brightness: 70.1, Sharpness: 86.9 },
  Confidence: confidence,
});

/** Faces have no aggregation: one detection per face per sampled timestamp. */
export const facesPage1: GetFaceDetectionResponse = {
  JobStatus: "SUCCEEDED",
  JobId: "face-job-1",
  VideoMetadata: videoMetadata,
  Faces: [
    { Timestamp: 0, Face: face(99.9) },
    { Timestamp: 0, Face: face(98.1) },
    { Timestamp: 500, Face: face(99.2) },
    { Timestamp: 1000, Face: face(97.0) },
    { Timestamp: 3000, Face: face(55.0) },
  ],
  NextToken: "face-token-2",
  Video: { S3Object: VIDEO },
};

export const facesPage2: GetFaceDetectionResponse = {
  JobStatus: "SUCCEEDED",
  JobId: "face-job-1",
  VideoMetadata: videoMetadata,
  Faces: [
    { Timestamp: 5000, Face: face(91.3) },
    { Timestamp: 5500, Face: face(93.8) },
  ],
  Video: { S3Object: VIDEO },
};
