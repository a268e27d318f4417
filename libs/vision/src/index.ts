export { VisionError, VisionErrorCodes, isVisionError } from './errors.js';
export type { VisionErrorCode } from './errors.js';
export { checkImage, checkSameSize, createImage, createMap, toGray, toRgb } from './image.js';
export type { BinaryMask, FloatMap, GrayImage, RgbImage } from './image.js';
export { DEFAULT_MAX_PIXELS, decodeGray, decodeImage, detectFormat, readImageInfo } from './decode.js';
export type { DecodeOptions, ImageFormat, ImageInfo } from './decode.js';
export { encodeJpeg, encodePng } from './encode.js';
export type { JpegOptions, PngOptions } from './encode.js';
export {
  contentRect,
  IMAGENET_SETTINGS,
  PREPROCESS_REVISION,
  preprocess,
  preprocessInto,
  preprocessShape,
  resizeImage,
  settingsFromManifest,
  validatePreprocessSettings,
} from './preprocess.js';
export type { ContentRect, ManifestPreprocessing, PreprocessSettings, PreprocessSettingsInput } from './preprocess.js';
export { mapContent, mapToImage, maskAtInput, maskToInputGrid } from './letterbox.js';
export type { FitSettings } from './letterbox.js';
export { avgPool, imageScore, mapRange, resizeMap } from './floatmap.js';
export type { AvgPoolOptions, ResizeMapOptions } from './floatmap.js';
export { colormapLut } from './colormap.js';
export type { ColormapName } from './colormap.js';
export { colorizeMap, grayToMap, heatmapPng, mapToGray, overlayHeatmap, overlayJpeg, overlayPng } from './heatmap.js';
export type { ColorOptions, OverlayOptions, RangeOptions } from './heatmap.js';
export { MASK_THRESHOLD, binarize, checkMaskSize, decodeMask, emptyMask, encodeMaskPng, maskToGrid } from './mask.js';
export type { DecodeMaskOptions, GridOptions as MaskGridOptions, TokenGrid } from './mask.js';
export { decodeIndexedPng, encodeIndexedPng, indexCounts, isIndexedPng, pngColourType } from './indexed-png.js';
export type { IndexedMask } from './indexed-png.js';
export { createRng, hashSeed } from './prng.js';
export type { Rng } from './prng.js';
export { fbm, valueNoise } from './noise.js';
export type { FbmOptions } from './noise.js';
export { TEXTURE_KINDS, TEXTURE_MAX, TEXTURE_MIN, renderTexture } from './textures.js';
export type { TextureKind } from './textures.js';
export { DEFECT_KINDS, drawDefect } from './defects.js';
export type { DefectKind } from './defects.js';
export { generateSurface, maskBBox } from './surface.js';
export type { Box, Surface, SurfaceOptions } from './surface.js';
export { pasteConfetti } from './confetti.js';
export type { ConfettiOptions, ConfettiResult } from './confetti.js';
export { escapeXml, linePlotSvg, niceTicks, svgToPng } from './chart.js';
export type { LinePlotOptions, Series } from './chart.js';
export { composeGrid } from './grid.js';
export type { GridOptions, GridTile } from './grid.js';
