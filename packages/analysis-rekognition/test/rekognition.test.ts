// Rekognition cannot run here: the adapter talks to aws-sdk-client-mock, which takes every
// command the client sends (no network, no SDK retries), so the test checks the exact requests
// (command, input, order, pagination tokens) and answers with the response shapes of
// test/responses.ts, written from the API reference, including failures.
import {
  AccessDeniedException,
  GetContentModerationCommand,
  GetFaceDetectionCommand,
  GetLabelDetectionCommand,
  RekognitionClient,
  StartContentModerationCommand,
  StartFaceDetectionCommand,
  StartLabelDetectionCommand,
  ThrottlingException,
} from "@aws-sdk/client-rekognition";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createRekognitionAnalysis, requestToken } from "../src/rekognition.ts";
import {
  facesPage1,
  facesPage2,
  labelsPage1,
  labelsPage2,
  moderationFailed,
  moderationInProgress,
  moderationPage1,
  moderationPage2,
  VIDEO,
} from "./responses.ts";

const client = new RekognitionClient({ region: "eu-west-1" });
const mock = mockClient(client);
const poll = { initialMs: 10, factor: 2, maxMs: 40 };
const analysis = createRekognitionAnalysis({ AWS_REGION: "eu-west-1" }, { client, poll, minConfidence: 80 });
const source = { object: { bucket: VIDEO.Bucket, key: VIDEO.Name, version: VIDEO.Version }, durationMs: 60_060 };
const s3Video = { S3Object: { Bucket: VIDEO.Bucket, Name: VIDEO.Name, Version: VIDEO.Version } };

/** The commands sent, in order, by name. */
const sent = () => mock.calls().map((c) => (c.args[0] as object).constructor.name);

beforeEach(() => mock.reset());

describe("rekognition: content moderation", () => {
  it("starts with the S3 object, MinConfidence, JobTag and a stable token, polls with backoff, pages with NextToken", async () => {
    const polledAt: number[] = [];
    mock.on(StartContentModerationCommand).resolves({ JobId: "mod-job-1" });
    let polls = 0;
    mock
      .on(GetContentModerationCommand, { JobId: "mod-job-1", NextToken: "mod-token-2" })
      .resolves(moderationPage2)
      .on(GetContentModerationCommand, { JobId: "mod-job-1" })
      .callsFake(async (input: { NextToken?: string }) => {
        if (input.NextToken) return moderationPage2;
        polledAt.push(performance.now());
        return ++polls < 3 ? moderationInProgress : moderationPage1;
      });

    const report = await analysis.analyze("moderation", source, { tag: "job-42" });

    expect(sent()).toEqual([
      "StartContentModerationCommand",
      "GetContentModerationCommand",
      "GetContentModerationCommand",
      "GetContentModerationCommand",
      "GetContentModerationCommand",
    ]);
    const start = mock.commandCalls(StartContentModerationCommand)[0]!.args[0].input;
    expect(start).toEqual({
      Video: s3Video,
      MinConfidence: 80,
      JobTag: "job-42",
      ClientRequestToken: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(start.ClientRequestToken).toBe(requestToken("moderation", s3Video, "job-42"));
    const gets = mock.commandCalls(GetContentModerationCommand).map((c) => c.args[0].input);
    const page = { JobId: "mod-job-1", MaxResults: 1000, SortBy: "TIMESTAMP", AggregateBy: "SEGMENTS" };
    expect(gets).toEqual([page, page, page, { ...page, NextToken: "mod-token-2" }]);
    const gaps = polledAt.slice(1).map((t, k) => t - polledAt[k]!);
    [10, 20].forEach((want, k) => {
      expect(gaps[k]).toBeGreaterThanOrEqual(want - 2);
    });

    expect(report).toEqual({
      feature: "moderation",
      provider: "rekognition",
      modelVersion: "7.0",
      findings: [
        { name: "Graphic Violence", parent: "Violence", confidence: 88.21, start_ms: 12_012, end_ms: 14_181 },
        { name: "Violence", confidence: 93.502, start_ms: 12_012, end_ms: 15_849 },
        { name: "Alcohol Use", parent: "Alcohol", confidence: 81.9, start_ms: 41_041, end_ms: 43_543 },
      ],
    });
  });

  it("the same analysis of the same object asked again sends the same ClientRequestToken (Rekognition answers the same job)", async () => {
    mock.on(StartContentModerationCommand).resolves({ JobId: "mod-job-1" });
    mock.on(GetContentModerationCommand).resolves({ ...moderationPage2 });
    await analysis.analyze("moderation", source, { tag: "job-42" });
    await analysis.analyze("moderation", source, { tag: "job-42" });
    await analysis.analyze("moderation", source, { tag: "job-43", minConfidence: 60 });
    const starts = mock.commandCalls(StartContentModerationCommand).map((c) => c.args[0].input);
    expect(starts[0]!.ClientRequestToken).toBe(starts[1]!.ClientRequestToken);
    expect(starts[2]!.ClientRequestToken).not.toBe(starts[0]!.ClientRequestToken);
    expect(starts[2]).toMatchObject({ MinConfidence: 60, JobTag: "job-43" });
  });

  it("a FAILED job is REELTIME_ERR_ANALYSIS with Rekognition's StatusMessage, and no page is read", async () => {
    mock.on(StartContentModerationCommand).resolves({ JobId: "mod-job-1" });
    mock.on(GetContentModerationCommand).resolvesOnce(moderationInProgress).resolves(moderationFailed);
    const err = await analysis.analyze("moderation", source).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: "REELTIME_ERR_ANALYSIS",
      retryable: false,
      message: "Rekognition moderation job mod-job-1 failed: Unsupported codec/format.",
    });
    expect(mock.commandCalls(GetContentModerationCommand)).toHaveLength(2);
  });

  it("throttled on start: REELTIME_ERR_ANALYSIS_UNAVAILABLE, retryable, nothing polled", async () => {
    mock
      .on(StartContentModerationCommand)
      .rejects(new ThrottlingException({ message: "Slow down", $metadata: { httpStatusCode: 400 } }));
    const err = await analysis.analyze("moderation", source).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "REELTIME_ERR_ANALYSIS_UNAVAILABLE", retryable: true });
    expect((err as Error).message).toContain("StartContentModeration failed: ThrottlingException: Slow down");
    expect(mock.commandCalls(GetContentModerationCommand)).toHaveLength(0);
  });

  it("throttled while polling: the running job is waited out, not abandoned", async () => {
    mock.on(StartContentModerationCommand).resolves({ JobId: "mod-job-1" });
    mock
      .on(GetContentModerationCommand)
      .rejectsOnce(new ThrottlingException({ message: "Rate exceeded", $metadata: { httpStatusCode: 400 } }))
      .resolves(moderationPage2);
    const report = await analysis.analyze("moderation", source);
    expect(mock.commandCalls(StartContentModerationCommand)).toHaveLength(1);
    expect(mock.commandCalls(GetContentModerationCommand)).toHaveLength(2);
    expect(report.findings.map((f) => f.name)).toEqual(["Alcohol Use"]);
  });

  it("refused (no access to the object): REELTIME_ERR_ANALYSIS with the service's status, not retryable", async () => {
    mock.on(StartContentModerationCommand).rejects(
      new AccessDeniedException({
        message: "Unable to get object metadata from S3",
        $metadata: { httpStatusCode: 403 },
      }),
    );
    await expect(analysis.analyze("moderation", source)).rejects.toMatchObject({
      code: "REELTIME_ERR_ANALYSIS",
      status: 403,
      retryable: false,
    });
  });

  it("a job that never ends gives up after maxWaitMs; a fired signal stops the wait", async () => {
    mock.on(StartContentModerationCommand).resolves({ JobId: "mod-job-1" });
    mock.on(GetContentModerationCommand).resolves(moderationInProgress);
    const impatient = createRekognitionAnalysis({ AWS_REGION: "eu-west-1" }, { client, poll, maxWaitMs: 60 });
    await expect(impatient.analyze("moderation", source)).rejects.toMatchObject({
      code: "REELTIME_ERR_ANALYSIS_UNAVAILABLE",
      message: expect.stringContaining("did not finish within 60 ms"),
    });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    await expect(analysis.analyze("moderation", source, { signal: ac.signal })).rejects.toMatchObject({
      code: "REELTIME_ERR_CANCELLED",
    });
  });
});

describe("rekognition: labels", () => {
  it("StartLabelDetection with GENERAL_LABELS and MinConfidence; segments with the first parent", async () => {
    mock.on(StartLabelDetectionCommand).resolves({ JobId: "label-job-1" });
    mock
      .on(GetLabelDetectionCommand, { JobId: "label-job-1", NextToken: "label-token-2" })
      .resolves(labelsPage2)
      .on(GetLabelDetectionCommand, { JobId: "label-job-1" })
      .callsFake(async (input: { NextToken?: string }) => (input.NextToken ? labelsPage2 : labelsPage1));
    const report = await analysis.analyze(
      "labels",
      { ...source, object: { bucket: VIDEO.Bucket, key: VIDEO.Name } },
      {
        tag: "job-42",
        minConfidence: 70,
      },
    );
    expect(sent()).toEqual(["StartLabelDetectionCommand", "GetLabelDetectionCommand", "GetLabelDetectionCommand"]);
    expect(mock.commandCalls(StartLabelDetectionCommand)[0]!.args[0].input).toEqual({
      Video: { S3Object: { Bucket: VIDEO.Bucket, Name: VIDEO.Name } },
      MinConfidence: 70,
      Features: ["GENERAL_LABELS"],
      JobTag: "job-42",
      ClientRequestToken: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(mock.commandCalls(GetLabelDetectionCommand).map((c) => c.args[0].input)).toEqual([
      { JobId: "label-job-1", MaxResults: 1000, SortBy: "TIMESTAMP", AggregateBy: "SEGMENTS" },
      {
        JobId: "label-job-1",
        MaxResults: 1000,
        SortBy: "TIMESTAMP",
        AggregateBy: "SEGMENTS",
        NextToken: "label-token-2",
      },
    ]);
    expect(report).toEqual({
      feature: "labels",
      provider: "rekognition",
      modelVersion: "3.0",
      findings: [
        { name: "Dog", parent: "Animal", confidence: 97.432, start_ms: 0, end_ms: 8008 },
        { name: "Ball", confidence: 85.5, start_ms: 4004, end_ms: 5005 },
        { name: "Beach", parent: "Nature", confidence: 90, start_ms: 4004, end_ms: 30_030 },
      ],
    });
  });
});

describe("rekognition: faces", () => {
  it("StartFaceDetection, then samples at or above MinConfidence joined into stretches (gap <= 1 s)", async () => {
    mock.on(StartFaceDetectionCommand).resolves({ JobId: "face-job-1" });
    mock
      .on(GetFaceDetectionCommand, { JobId: "face-job-1", NextToken: "face-token-2" })
      .resolves(facesPage2)
      .on(GetFaceDetectionCommand, { JobId: "face-job-1" })
      .callsFake(async (input: { NextToken?: string }) => (input.NextToken ? facesPage2 : facesPage1));
    const report = await analysis.analyze("faces", source, { tag: "job-42" });
    expect(mock.commandCalls(StartFaceDetectionCommand)[0]!.args[0].input).toEqual({
      Video: s3Video,
      FaceAttributes: "DEFAULT",
      JobTag: "job-42",
      ClientRequestToken: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(mock.commandCalls(GetFaceDetectionCommand).map((c) => c.args[0].input)).toEqual([
      { JobId: "face-job-1", MaxResults: 1000 },
      { JobId: "face-job-1", MaxResults: 1000, NextToken: "face-token-2" },
    ]);
    // 0, 500, 1000 ms join; 3000 ms is below 80 %; 5000 and 5500 ms are the second stretch.
    expect(report.findings).toEqual([
      { name: "face", start_ms: 0, end_ms: 1000, confidence: 99.9 },
      { name: "face", start_ms: 5000, end_ms: 5500, confidence: 93.8 },
    ]);
  });
});

describe("rekognition: what it refuses before any call", () => {
  it("a local file alone, or an analysis ffmpeg does: REELTIME_ERR_CONFIG", async () => {
    await expect(analysis.analyze("labels", { path: "/tmp/clip.mp4" })).rejects.toMatchObject({
      code: "REELTIME_ERR_CONFIG",
      message: expect.stringContaining("needs an object (bucket and key)"),
    });
    await expect(analysis.analyze("black", source)).rejects.toMatchObject({ code: "REELTIME_ERR_CONFIG" });
    expect(mock.calls()).toHaveLength(0);
    expect(analysis.features).toEqual(["moderation", "labels", "faces"]);
  });

  it("a job tag with characters Rekognition refuses is made acceptable", async () => {
    mock.on(StartFaceDetectionCommand).resolves({ JobId: "face-job-1" });
    mock.on(GetFaceDetectionCommand).resolves({ ...facesPage2 });
    await analysis.analyze("faces", source, { tag: "job 42/å" });
    expect(mock.commandCalls(StartFaceDetectionCommand)[0]!.args[0].input.JobTag).toBe("job_42__");
  });
});
