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
export { ByteReader, isGzipFile } from './byte-reader.js';
export { iterateIdxImages, readIdxImageHeader, readIdxLabels } from './idx.js';
export type { IdxHeader, IdxImage } from './idx.js';
export {
  CIFAR10_CLASSES,
  CIFAR_RECORD_BYTES,
  CIFAR_TEST_BATCHES,
  CIFAR_TRAIN_BATCHES,
  cifarRecordCount,
  iterateCifarBatch,
  readCifarClasses,
} from './cifar10.js';
export type { CifarRecord } from './cifar10.js';
export { listClassFolders } from './class-folder.js';
export type { ClassFile, ClassFolderListing } from './class-folder.js';
export {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DIR,
  MNIST_CLASSES,
  classQuota,
  findIdxFile,
  openClassDataset,
} from './class-dataset.js';
export type {
  ClassDataset,
  ClassSample,
  ClassSelection,
  ClassSource,
  OpenClassDatasetOptions,
} from './class-dataset.js';
