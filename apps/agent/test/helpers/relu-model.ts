/** A valid ONNX model with the wrong I/O contract (x → y), to test the compatibility check. */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export function reluPlusOneModel(): Uint8Array {
  const vi = (name: string) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: 3 }] } },
      },
    });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: onnx.GraphProto.create({
      name: 'relu',
      node: [onnx.NodeProto.create({ opType: 'Relu', input: ['x'], output: ['y'] })],
      input: [vi('x')],
      output: [vi('y')],
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}
