import type { NodeDef, Tensor } from '../tensor.js';

/**
 * A gradient rule maps the gradients of a node's outputs (undefined where nothing flows back) to gradients of its
 * inputs. `needs[i]` says whether input i needs one, so rules skip work (e.g. dW but no dX for a frozen input).
 * Returned gradients must have exactly the input's shape.
 */
export type GradRule = (
  node: NodeDef,
  gy: readonly (Tensor | undefined)[],
  needs: readonly boolean[],
) => (Tensor | undefined)[];
