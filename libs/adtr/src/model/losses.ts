/**
 * ADTR's losses, as graph ops. With d = f − f̂ over tokens u and channels i (T = H·W tokens):
 *
 *   L_norm = (1/T) Σ_u ‖d(u)‖²
 *   φ(u)   = sqrt(((1/C) Σ_i |d_i(u)|)² + 1) − 1
 *   L_px   = (1/T) Σ_u (1 − y(u)) φ(u) − α · log(1 − exp(−(1/T) Σ_u y(u) φ(u)))   (push term only if Σ_u y(u) > 0)
 *   L_img  = (1 − y) q − α · y · log(1 − exp(−q)),   q = mean of the top-k φ(u)
 *   L_mix  = w · L_px + (1 − w) · L_img per image (mixed labels; lossMixed says how w is chosen)
 *
 * Each is averaged over the batch. log(1 − exp(−s)) → −∞ as s → 0, so its argument is clipped to [1e-6, 1]: the
 * push term is then bounded (≤ α·13.8) and its gradient is zero only where the anomaly is already unreconstructable.
 */
import {
  abs,
  add,
  clip,
  exp,
  log,
  mul,
  neg,
  reduceMean,
  reduceSum,
  sqrt,
  square,
  sub,
  topK,
  type Tensor,
} from '@linewatch/graph';

const LOG_GUARD = 1e-6;

/** log(1 − exp(−s)), guarded. */
function logOneMinusExpNeg(s: Tensor): Tensor {
  return log(clip(sub(1, exp(neg(s))), LOG_GUARD, 1));
}

/** d = f − f̂ with shapes [N, T, C]. */
export function residual(features: Tensor, reconstruction: Tensor): Tensor {
  return sub(features, reconstruction);
}

export function lossNorm(d: Tensor): Tensor {
  return reduceMean(reduceSum(square(d), -1));
}

/** φ(u) per token: [N, T]. */
export function phi(d: Tensor): Tensor {
  const m = reduceMean(abs(d), -1);
  return sub(sqrt(add(square(m), 1)), 1);
}

/**
 * Per-image L_px from φ: [N].
 * @param p       [N, T] φ per token
 * @param mask    [N, T] token labels in {0, 1} (pixel masks downsampled to the grid)
 * @param hasAnomaly [N] 1 where the image has any anomalous token (gates the push term), else 0
 */
export function pxPerImage(p: Tensor, mask: Tensor, hasAnomaly: Tensor, alpha: number): Tensor {
  const pull = reduceMean(mul(sub(1, mask), p), -1); // [N]
  const pushed = reduceMean(mul(mask, p), -1); // [N]
  const push = mul(hasAnomaly, logOneMinusExpNeg(pushed));
  return sub(pull, mul(push, alpha));
}

/** Per-image L_img from φ: [N]. @param label [N] image labels in {0, 1} */
export function imgPerImage(p: Tensor, label: Tensor, alpha: number, k: number): Tensor {
  const q = reduceMean(topK(p, k, { axis: -1 }).values, -1); // [N]
  const pull = mul(sub(1, label), q);
  const push = mul(mul(label, logOneMinusExpNeg(q)), alpha);
  return sub(pull, push);
}

/** L_px over the batch (see pxPerImage for the inputs). */
export function lossPx(d: Tensor, mask: Tensor, hasAnomaly: Tensor, alpha: number): Tensor {
  return reduceMean(pxPerImage(phi(d), mask, hasAnomaly, alpha));
}

/** L_img over the batch. @param label [N] image labels in {0, 1} */
export function lossImg(d: Tensor, label: Tensor, alpha: number, k: number): Tensor {
  return reduceMean(imgPerImage(phi(d), label, alpha, k));
}

/**
 * One batch of mixed labels (`--loss auto` with masks for some anomalies only): image n contributes
 * w(n)·L_px(n) + (1 − w(n))·L_img(n), averaged over the batch. The caller sets w = 1 for a masked anomaly (its
 * mask feeds L_px), w = 0 for an image-labelled one (L_img needs only the label) and, for normals, the share of
 * masked anomalies: a normal is a negative of both losses (L_px pulls all its tokens, L_img its top-k), and with that
 * weight a run whose anomalies are all masked is exactly L_px and one whose anomalies are all image-labelled exactly
 * L_img. φ is computed once; both terms are cheap next to the reconstruction, so one step costs what either loss
 * costs alone (alternating px and img batches would need two training sessions sharing parameters and optimizer).
 * @param pxWeight [N] w(n) in [0, 1]
 */
export function lossMixed(
  d: Tensor,
  inputs: { mask: Tensor; hasAnomaly: Tensor; label: Tensor; pxWeight: Tensor },
  alphas: { px: number; img: number },
  k: number,
): Tensor {
  const p = phi(d);
  const px = pxPerImage(p, inputs.mask, inputs.hasAnomaly, alphas.px);
  const img = imgPerImage(p, inputs.label, alphas.img, k);
  return reduceMean(add(mul(inputs.pxWeight, px), mul(sub(1, inputs.pxWeight), img)));
}
