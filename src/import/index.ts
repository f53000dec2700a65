/** Trained float checkpoints (PyTorch nn.TransformerEncoder ViTs, timm ViT/DeiT) → vitpipe model folders. */
export { importCheckpoint, type ImportOptions, type ImportResult } from './import.ts';
export { FAMILY_DEFAULTS, type Family } from './families.ts';
