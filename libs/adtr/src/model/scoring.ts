/**
 * Anomaly map and image score in the graph, so the deployed model outputs them directly:
 * s(u) = ‖f(u) − f̂(u)‖₂ at token resolution → bilinear (align-corners) to the input size → image score = max of
 * the map after k×k average pooling (stride 1, no padding). No Gaussian smoothing.
 */
import { conv, reduceMax, reduceSum, reshape, resize, sqrt, square, type Tensor } from '@linewatch/graph';

/** d [N, T, C] → token map [N, 1, rows, cols]. */
export function tokenMap(d: Tensor, grid: readonly [number, number]): Tensor {
  const n = d.shape[0] as number;
  return reshape(sqrt(reduceSum(square(d), -1)), [n, 1, grid[0], grid[1]]);
}

export function upsampleMap(map: Tensor, size: readonly [number, number]): Tensor {
  return resize(map, size, { alignCorners: true });
}

/** map [N, 1, H, W] → score [N]. */
export function imageScore(map: Tensor, pool: number): Tensor {
  let pooled = map;
  if (pool > 1) {
    const w = map.graph.constant(new Float32Array(pool * pool).fill(1 / (pool * pool)), [1, 1, pool, pool]);
    pooled = conv(map, w, null);
  }
  return reduceMax(pooled, [1, 2, 3]);
}
