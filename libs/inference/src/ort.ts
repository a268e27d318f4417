/**
 * The only module in the repository that imports onnxruntime-node. Everything else goes through this lib, so the
 * runtime can be upgraded, configured or swapped in one place (transformers.js does the same).
 */
import ort from 'onnxruntime-node';

export type OrtSession = ort.InferenceSession;
export type OrtTensor = ort.Tensor;
export type OrtSessionOptions = ort.InferenceSession.SessionOptions;
export type OrtFeeds = Record<string, ort.Tensor>;
export type OrtTensorType = ort.Tensor.Type;

export const OrtTensorCtor = ort.Tensor;

export function ortCreateSession(model: string | Uint8Array, options: OrtSessionOptions): Promise<OrtSession> {
  return typeof model === 'string'
    ? ort.InferenceSession.create(model, options)
    : ort.InferenceSession.create(model, options);
}

export function ortBackends(): { name: string; bundled: boolean }[] {
  return ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
}

export const ortVersion: string = ort.env.versions.node ?? 'unknown';
