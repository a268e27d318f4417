/**
 * ADTR's losses, as graph ops. With d = f − f̂ over tokens u and channels i (T = H·W tokens):
 *
 *   L_norm = (1/T) Σ_u ‖d(u)‖²
 *   φ(u)   = sqrt(((1/C) Σ_i |d_i(u)|)² + 1) − 1
 *   L_px   = (1/T) Σ_u (1 − y(u)) φ(u) − α · log(1 − exp(−(1/T) Σ_u y(u) φ(u)))   (push term only if Σ_u y(u) > 0)
 *   L_img  = (1 − y) q − α · y · log(1 − exp(−q)),   q = mean of the top-k φ(u)
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
 * @param mask    [N, T] token labels in {0, 1} (pixel masks downsampled to the grid)
 * @param hasAnomaly [N] 1 where the image has any anomalous token (gates the push term), else 0
 */
export function lossPx(d: Tensor, mask: Tensor, hasAnomaly: Tensor, alpha: number): Tensor {
  const p = phi(d);
  const pull = reduceMean(mul(sub(1, mask), p), -1); // [N]
  const pushed = reduceMean(mul(mask, p), -1); // [N]
  const push = mul(hasAnomaly, logOneMinusExpNeg(pushed));
  return reduceMean(sub(pull, mul(push, alpha)));
}

/** @param label [N] image labels in {0, 1} */
export function lossImg(d: Tensor, label: Tensor, alpha: number, k: number): Tensor {
  const p = phi(d);
  const q = reduceMean(topK(p, k, { axis: -1 }).values, -1); // [N]
  const pull = mul(sub(1, label), q);
  const push = mul(mul(label, logOneMinusExpNeg(q)), alpha);
  return reduceMean(sub(pull, push));
}
