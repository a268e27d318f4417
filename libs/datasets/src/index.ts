export { DatasetError, DatasetErrorCodes, isDatasetError } from './errors.js';
export type { DatasetErrorCode } from './errors.js';
export { iterateSamples, loadImage, loadMask, loadSample } from './samples.js';
export type { ImageRef, LoadLimits, LoadedSample } from './samples.js';
export { IMAGE_EXTENSIONS, isImageFile, loadMvtec, summarize } from './mvtec.js';
export type { MvtecDataset, MvtecOptions, MvtecSample, Split, SplitCounts } from './mvtec.js';
export {
  manifestFromSamples,
  parseManifest,
  readManifest,
  serializeManifest,
  toManifestPath,
  validateEntry,
  writeManifest,
} from './manifest.js';
export type { ManifestEntry, ManifestSample } from './manifest.js';
export { FeatureCache, canonicalJson, decodeEntry, encodeEntry, sha256Hex } from './feature-cache.js';
export type { CacheStats, FeatureCacheOptions, Features } from './feature-cache.js';
export { writeFileAtomic } from './atomic.js';
