/** Builds small ONNX models for the tests (this lib must not depend on the graph builder, which is training-scope). */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

function valueInfo(name: string, dims: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

/** y = relu(x) + 1, x: [N, 3] float32. */
export function reluPlusOneModel(): Uint8Array {
  const one = onnx.TensorProto.create({
    name: 'one',
    dataType: onnx.TensorProto.DataType.FLOAT,
    dims: [],
    floatData: [1],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: onnx.GraphProto.create({
      name: 'tiny',
      initializer: [one],
      node: [
        onnx.NodeProto.create({ opType: 'Relu', input: ['x'], output: ['r'] }),
        onnx.NodeProto.create({ opType: 'Add', input: ['r', 'one'], output: ['y'] }),
      ],
      input: [valueInfo('x', ['N', 3])],
      output: [valueInfo('y', ['N', 3])],
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}
