/**
 * A tiny anomaly model with the real model's I/O contract, built by hand with onnx-proto:
 *   image [1,3,H,W] → anomaly_map [1,1,H,W] = gain · mean_c |x|,  score [1] = max(anomaly_map).
 * `gain` differs per test version so a swap is visible in the scores.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

function valueInfo(name: string, dims: number[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } },
    },
  });
}

export function anomalyModel(height: number, width: number, gain = 1): Uint8Array {
  const F = onnx.TensorProto.DataType.FLOAT;
  const gainT = onnx.TensorProto.create({ name: 'gain', dataType: F, dims: [], floatData: [gain] });
  const shape1 = onnx.TensorProto.create({
    name: 'shape1',
    dataType: onnx.TensorProto.DataType.INT64,
    dims: [1],
    int64Data: [1],
  });
  const attrInts = (name: string, ints: number[]) =>
    onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints });
  const attrInt = (name: string, i: number) =>
    onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: onnx.GraphProto.create({
      name: 'tiny-anomaly',
      initializer: [gainT, shape1],
      node: [
        onnx.NodeProto.create({ opType: 'Abs', input: ['image'], output: ['a'] }),
        onnx.NodeProto.create({
          opType: 'ReduceMean',
          input: ['a'],
          output: ['m'],
          attribute: [attrInts('axes', [1]), attrInt('keepdims', 1)],
        }),
        onnx.NodeProto.create({ opType: 'Mul', input: ['m', 'gain'], output: ['anomaly_map'] }),
        onnx.NodeProto.create({
          opType: 'ReduceMax',
          input: ['anomaly_map'],
          output: ['mx'],
          attribute: [attrInts('axes', [1, 2, 3]), attrInt('keepdims', 1)],
        }),
        onnx.NodeProto.create({ opType: 'Reshape', input: ['mx', 'shape1'], output: ['score'] }),
      ],
      input: [valueInfo('image', [1, 3, height, width])],
      output: [valueInfo('anomaly_map', [1, 1, height, width]), valueInfo('score', [1])],
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Expected score of a uniform grey frame of value v with the package's normalisation (mean = std = 0.5). */
export function uniformScore(v: number, gain: number): number {
  return gain * Math.abs((v / 255 - 0.5) / 0.5);
}
