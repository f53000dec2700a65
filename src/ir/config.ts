/**
 * Per-block hardware configuration: parallelism, FIFO depths and RTL pipeline depths. The builders turn a ViTConfig
 * plus one of these per block into IR blocks. `HGPIPE_*` hold HG-PIPE's DeiT-tiny choices (SPEC §4.1–4.2,
 * DATAFLOW §§2–5); other geometries reuse HG-PIPE's pipeline depths, which is an approximation.
 */
export interface MatmulPar {
  cip: number;
  cop: number;
}

export interface AttnFifos {
  main: number;
  resiI: number;
  resi: number;
  resiO: number;
  lnq: number;
  qkv: number;
  qqHead: number;
  kqHead: number;
  vqHead: number;
  kqReshape: number;
  vqTranspose: number;
  rHead: number;
  rqHead: number;
  aHead: number;
  /** Post-norm: the residual sum in front of the LayerNorm (default: one token-pair row, see build-attn.ts). */
  sum?: number;
  /** Matmul-internal adapter FIFO (QKᵀ/R·V, and q/k/v/o unless `projAdpt` is given). */
  adpt: number;
  /** The q/k/v/o projections' adapter FIFO (default `adpt`). */
  projAdpt?: number;
  /** Everything else (window, weight, MAC output, a/aq/o). */
  other: number;
}

export interface AttnConfig {
  kind: 'attn';
  tp: number;
  lnCp: number;
  qkv: MatmulPar;
  qk: MatmulPar;
  rv: MatmulPar;
  o: MatmulPar;
  softmaxCp: number;
  /**
   * Heads sharing one K/V-reshaper → QKᵀ → softmax → R·V pipeline (default 1: one per head, as HG-PIPE). A unit of k
   * heads runs their (token pair, head) rows one after the other: k times the cycles, 1/k of the per-head hardware.
   */
  headsPerUnit?: number;
  fifo: AttnFifos;
  /** LayerNorm pipeline depth: 14 in most blocks, 13 in some (DATAFLOW §6). */
  lnDepth: number;
  /** Element bits of the block's input and output (residual stream). */
  inBits: number;
  outBits: number;
}

export interface MlpFifos {
  main: number;
  resiI: number;
  resi: number;
  resiO: number;
  ln: number;
  adpt: number;
  /** fc2 window (HLS enlarges it to 5 for the free-running MAC). */
  fc2Window: number;
  /** Post-norm: the residual sum in front of the LayerNorm (default: one token-pair row, see build-mlp.ts). */
  sum?: number;
  other: number;
}

export interface MlpConfig {
  kind: 'mlp';
  tp: number;
  lnCp: number;
  fc1: MatmulPar;
  geluCp: number;
  fc2: MatmulPar;
  fifo: MlpFifos;
  lnDepth: number;
  inBits: number;
  outBits: number;
}

export interface PatchEmbedConfig {
  kind: 'patch-embed';
  tp: number;
  /** Input elements per token per beat. */
  inCp: number;
  mac: MatmulPar;
  outCp: number;
  fifo: { adpt: number; window: number; other: number };
  inBits: number;
  outBits: number;
}

export interface HeadConfig {
  kind: 'head';
  /** Tokens per beat of the block input (the residual stream). */
  tp: number;
  mac: MatmulPar;
  fifo: { other: number };
  lnDepth: number;
  inBits: number;
}

export type BlockConfig = AttnConfig | MlpConfig | PatchEmbedConfig | HeadConfig;

export const HGPIPE_ATTN: AttnConfig = {
  kind: 'attn',
  tp: 2,
  lnCp: 1,
  qkv: { cip: 6, cop: 12 },
  qk: { cip: 4, cop: 7 },
  rv: { cip: 7, cop: 4 },
  o: { cip: 12, cop: 6 },
  softmaxCp: 1,
  fifo: {
    main: 2, resiI: 512, resi: 12288, resiO: 512, lnq: 2, qkv: 2, qqHead: 8000, kqHead: 64, vqHead: 64,
    kqReshape: 512, vqTranspose: 512, rHead: 512, rqHead: 512, aHead: 64, adpt: 32, other: 2,
  },
  lnDepth: 14,
  inBits: 13,
  outBits: 15,
};

export const HGPIPE_MLP: MlpConfig = {
  kind: 'mlp',
  tp: 2,
  lnCp: 1,
  fc1: { cip: 12, cop: 24 },
  geluCp: 2,
  fc2: { cip: 24, cop: 12 },
  fifo: { main: 2, resiI: 2, resi: 512, resiO: 2, ln: 2, adpt: 32, fc2Window: 5, other: 2 },
  lnDepth: 14,
  inBits: 15,
  outBits: 13,
};

export const HGPIPE_PATCH_EMBED: PatchEmbedConfig = {
  kind: 'patch-embed',
  tp: 2,
  inCp: 2,
  mac: { cip: 16, cop: 16 },
  outCp: 1,
  fifo: { adpt: 64, window: 6, other: 2 },
  inBits: 8,
  outBits: 13,
};

export const HGPIPE_HEAD: HeadConfig = { kind: 'head', tp: 2, mac: { cip: 1, cop: 4 }, fifo: { other: 2 }, lnDepth: 14, inBits: 13 };

/** Blocks whose LayerNorm the RTL scheduled one stage shorter (DATAFLOW §6). */
export const HGPIPE_LN13_ATTN = [1, 2, 6, 7, 9, 10, 11];
export const HGPIPE_LN13_MLP = [7, 8, 9, 10];
