/** ONNX export of float ViTs: a standard opset-17 graph any ONNX runtime reads, and the protobuf messages behind it. */
export {
  DEFAULT_OPSET,
  MAX_OPSET,
  MIN_OPSET,
  ONNX_BATCH_DIM,
  ONNX_INPUT,
  ONNX_METADATA_KEYS,
  ONNX_OUTPUT,
  exportOnnx,
  exportOnnxFile,
  type OnnxExportOptions,
} from './export.ts';
export { decodeModel, encodeModel, onnxRoot, onnxType, type ModelMessage } from './proto.ts';
