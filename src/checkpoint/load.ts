/** One entry point for every checkpoint format, chosen by content (never by file extension). */
import { fail } from '../diag/index.ts';
import { readFileOrFail } from './file-bytes.ts';
import { readSafetensors } from './safetensors.ts';
import type { NamedTensors } from './tensor.ts';
import { readTorchCheckpoint } from './torch.ts';

export type CheckpointFormat = 'torch-zip' | 'safetensors';

export interface LoadedCheckpoint {
  format: CheckpointFormat;
  tensors: NamedTensors;
}

/** What the first bytes say the file is: a zip local header, a bare pickle, or a safetensors header (JSON at byte 8). */
export function sniffCheckpoint(bytes: Uint8Array): CheckpointFormat | 'legacy-torch' | undefined {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'torch-zip';
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] <= 5) return 'legacy-torch';
  if (bytes.length >= 9 && bytes[8] === 0x7b) return 'safetensors';
  return undefined;
}

/** Read a PyTorch zip checkpoint or a safetensors file; anything else is a BAD_CHECKPOINT, a missing file an IO_ERROR. */
export function loadCheckpoint(file: string): LoadedCheckpoint {
  const bytes = readFileOrFail(file);
  const format = sniffCheckpoint(bytes);
  if (format === 'legacy-torch')
    fail('BAD_CHECKPOINT', 'a legacy (pre-1.6, non-zip) PyTorch pickle checkpoint is not supported', file,
      're-save it with torch>=1.6 default zip format: torch.save(torch.load(path), new_path)');
  if (format === undefined) fail('BAD_CHECKPOINT', 'not a PyTorch zip checkpoint or a safetensors file', file);
  const tensors = format === 'torch-zip' ? readTorchCheckpoint(file, bytes) : readSafetensors(file, bytes);
  if (tensors.size === 0) fail('BAD_CHECKPOINT', 'the checkpoint holds no tensors', file);
  return { format, tensors };
}
