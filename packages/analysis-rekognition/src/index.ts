// The Rekognition adapter of the ContentAnalysis port: written in the next commit.
export {};
