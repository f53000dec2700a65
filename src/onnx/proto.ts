/**
 * The few ONNX protobuf messages an exported model needs, defined with protobufjs's reflection API (a Root built from
 * a JSON descriptor; no .proto file is vendored). Field numbers are the ONNX specification's (onnx.proto, IR version
 * 8+); only the fields vitpipe writes or reads back are declared. proto2 semantics, as onnx.proto itself: a field is
 * written when it is set; repeated scalars are not packed except TensorProto's typed data fields.
 */
import protobuf from 'protobufjs';

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;

/** AttributeProto.AttributeType values. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export interface StringStringEntry {
  key: string;
  value: string;
}

export interface OperatorSetId {
  domain?: string;
  version: number;
}

export interface TensorMessage {
  name: string;
  dims: number[];
  dataType: number;
  /** Fixed-width little-endian elements. */
  rawData?: Uint8Array;
  docString?: string;
}

export interface AttributeMessage {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorMessage;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
}

export interface NodeMessage {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain?: string;
  attribute?: AttributeMessage[];
  docString?: string;
}

/** One dimension: a fixed size or a symbolic name. */
export type DimensionMessage = { dimValue: number } | { dimParam: string };

export interface ValueInfoMessage {
  name: string;
  type: { tensorType: { elemType: number; shape: { dim: DimensionMessage[] } } };
  docString?: string;
}

export interface GraphMessage {
  name: string;
  node: NodeMessage[];
  initializer: TensorMessage[];
  input: ValueInfoMessage[];
  output: ValueInfoMessage[];
  valueInfo?: ValueInfoMessage[];
  docString?: string;
}

export interface ModelMessage {
  irVersion: number;
  opsetImport: OperatorSetId[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph: GraphMessage;
  metadataProps?: StringStringEntry[];
}

const optional = (type: string, id: number) => ({ type, id });
const repeated = (type: string, id: number, packed = false) =>
  packed ? { rule: 'repeated', type, id, options: { packed: true } } : { rule: 'repeated', type, id };

/** JSON descriptor of package `onnx` (subset). */
const ONNX_JSON = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: {
          fields: { key: optional('string', 1), value: optional('string', 2) },
        },
        OperatorSetIdProto: {
          fields: { domain: optional('string', 1), version: optional('int64', 2) },
        },
        TensorProto: {
          fields: {
            dims: repeated('int64', 1),
            dataType: optional('int32', 2),
            floatData: repeated('float', 4, true),
            int32Data: repeated('int32', 5, true),
            int64Data: repeated('int64', 7, true),
            name: optional('string', 8),
            rawData: optional('bytes', 9),
            doubleData: repeated('double', 10, true),
            docString: optional('string', 12),
          },
        },
        AttributeProto: {
          fields: {
            name: optional('string', 1),
            f: optional('float', 2),
            i: optional('int64', 3),
            s: optional('bytes', 4),
            t: optional('TensorProto', 5),
            floats: repeated('float', 7),
            ints: repeated('int64', 8),
            strings: repeated('bytes', 9),
            docString: optional('string', 13),
            type: optional('int32', 20),
          },
        },
        ValueInfoProto: {
          fields: { name: optional('string', 1), type: optional('TypeProto', 2), docString: optional('string', 3) },
        },
        NodeProto: {
          fields: {
            input: repeated('string', 1),
            output: repeated('string', 2),
            name: optional('string', 3),
            opType: optional('string', 4),
            attribute: repeated('AttributeProto', 5),
            docString: optional('string', 6),
            domain: optional('string', 7),
          },
        },
        TensorShapeProto: {
          fields: { dim: repeated('Dimension', 1) },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: { dimValue: optional('int64', 1), dimParam: optional('string', 2), denotation: optional('string', 3) },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensorType'] } },
          fields: { tensorType: optional('Tensor', 1), denotation: optional('string', 6) },
          nested: {
            Tensor: {
              fields: { elemType: optional('int32', 1), shape: optional('TensorShapeProto', 2) },
            },
          },
        },
        GraphProto: {
          fields: {
            node: repeated('NodeProto', 1),
            name: optional('string', 2),
            initializer: repeated('TensorProto', 5),
            docString: optional('string', 10),
            input: repeated('ValueInfoProto', 11),
            output: repeated('ValueInfoProto', 12),
            valueInfo: repeated('ValueInfoProto', 13),
          },
        },
        ModelProto: {
          fields: {
            irVersion: optional('int64', 1),
            producerName: optional('string', 2),
            producerVersion: optional('string', 3),
            domain: optional('string', 4),
            modelVersion: optional('int64', 5),
            docString: optional('string', 6),
            graph: optional('GraphProto', 7),
            opsetImport: repeated('OperatorSetIdProto', 8),
            metadataProps: repeated('StringStringEntryProto', 14),
          },
        },
      },
    },
  },
};

/**
 * protobufjs gives JSON-described types proto3 semantics unless told otherwise (default values would then be left
 * out, e.g. an attribute `axis = 0` or the opset domain ""): mark every message proto2, as onnx.proto is.
 */
function asProto2(node: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = { ...node };
  if (out.fields) out.edition = 'proto2';
  if (out.nested) out.nested = Object.fromEntries(Object.entries(out.nested).map(([k, v]) => [k, asProto2(v as Record<string, any>)]));
  return out;
}

let root: protobuf.Root | undefined;

/** The protobufjs Root holding package `onnx` (built once). */
export function onnxRoot(): protobuf.Root {
  root ??= protobuf.Root.fromJSON(asProto2(ONNX_JSON));
  return root;
}

/** A message type of package `onnx`, e.g. `onnxType('ModelProto')`. */
export function onnxType(name: string): protobuf.Type {
  return onnxRoot().lookupType(`onnx.${name}`);
}

/** Serialise a ModelProto. */
export function encodeModel(model: ModelMessage): Uint8Array {
  const type = onnxType('ModelProto');
  const invalid = type.verify(model);
  if (invalid) throw new TypeError(`ModelProto: ${invalid}`);
  const bytes = type.encode(model).finish(); // a Buffer under Node: hand out a plain Uint8Array view
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Parse ModelProto bytes into plain objects (int64 as numbers, bytes as Uint8Array, enums as numbers, defaults
 * omitted), e.g. to inspect an exported file.
 */
export function decodeModel(bytes: Uint8Array): Record<string, any> {
  const type = onnxType('ModelProto');
  return type.toObject(type.decode(bytes), { longs: Number, defaults: false, arrays: true });
}
