/**
 * Checkpoint files → named tensors, safely: PyTorch zip checkpoints (a restricted unpickler that runs nothing) and
 * safetensors (read and write).
 */
export type { DType, NamedTensors, Tensor } from './tensor.ts';
export { DTYPES, bytesPerElement, elementCount, float32Tensor, floatValues, isDType } from './tensor-values.ts';
export { loadCheckpoint, sniffCheckpoint, type CheckpointFormat, type LoadedCheckpoint } from './load.ts';
export { readSafetensors, writeSafetensors } from './safetensors.ts';
export { readTorchCheckpoint } from './torch.ts';
export { PyDict, PyGlobal, PySet, isTuple, unpickle, type GlobalHandler, type UnpickleOptions } from './pickle.ts';
export { openZip, readZipEntry, type ZipArchive, type ZipEntry } from './zip.ts';
