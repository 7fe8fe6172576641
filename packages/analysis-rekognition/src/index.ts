// What other workspaces import: the adapter's factory (the pipeline loads it by name when chosen).
export { createRekognitionAnalysis, type RekognitionEnv, type RekognitionOptions } from "./rekognition.ts";
