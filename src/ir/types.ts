/**
 * The dataflow IR: a design is a chain of blocks; a block is a graph of hardware processes joined by streams.
 * Everything here is plain, immutable, JSON-serialisable data. Streams and processes are addressed by their name
 * inside a block; each process kind owns its typed parameters (src/ir/kinds/<kind>.ts), from which its per-image
 * stream behaviour (timing program) and analytic cycle count follow.
 */
import type { ModelGeometry, TableSize } from '../model/index.ts';

/** RTL pipeline of one flattened II = 1 loop: D stages, the stage in which it reads and the one in which it writes. */
export interface Stages {
  depth: number;
  read: number;
  write: number;
}

/** A matmul's tiling: channels in/out and how many of each one beat carries. */
export interface MatmulShape {
  /** Token-pair rows per image (tokens / tp). */
  tt: number;
  /** Tokens per beat. */
  tp: number;
  ci: number;
  co: number;
  cip: number;
  cop: number;
}

interface ProcessBase {
  /** Unique inside its block, e.g. `m1.mac`, `h0.softmax`. */
  name: string;
  /** Model layer path the process implements, for diagnostics (e.g. `blocks.0.attn.qkv.q`). */
  origin: string;
  /** Stream names (inside the block) read, in port order. */
  inputs: string[];
  /** Stream names written, in port order. */
  outputs: string[];
}

/** Copies each input beat to every output (residual fork, q/k/v fan-out). */
export interface StreamCopyProcess extends ProcessBase {
  kind: 'stream-copy';
  beats: number;
  lanes: number;
  bits: number;
  stages: Stages;
}

/** Reads every beat of an image, forwards lane 0 of the first `channels` beats (the CLS token). */
export interface ClsSelectProcess extends ProcessBase {
  kind: 'cls-select';
  beats: number;
  channels: number;
  lanes: number;
  bits: number;
  stages: Stages;
}

/** Width converter: `pack` (cip < cop) gathers cop/cip beats into one, `unpack` (cip > cop) splits one beat. */
export interface AdapterProcess extends ProcessBase {
  kind: 'adapter';
  tt: number;
  tp: number;
  channels: number;
  cip: number;
  cop: number;
  bits: number;
  stages: Stages;
}

/**
 * Block-sparse static weights (weight-block pruning): for each output tile row (co/cop rows), the input tile columns
 * (ascending, 0 ≤ c < ci/cip) whose cop × cip weight tile is stored; every other tile is all zero and skipped. A row
 * with no tile still takes one iteration (one stored zero tile), so that its bias-only result is written.
 */
export interface TileSparsity {
  rows: number[][];
}

/**
 * Matmul input window: stores one row of input beats at cot = 0 and replays it for every output tile. With
 * `sparsity` (the MAC's pattern) it is double-buffered: it reads token pair t + 1 while replaying only the kept
 * tiles of pair t (see kinds/window-cache.ts).
 */
export interface WindowCacheProcess extends ProcessBase {
  kind: 'window-cache';
  shape: MatmulShape;
  bits: number;
  stages: Stages;
  sparsity?: TileSparsity;
}

/** MAC array: tp·cop·cip multiply-accumulates per cycle; writes one tp·cop beat every ci/cip cycles. */
export interface MacProcess extends ProcessBase {
  kind: 'mac';
  shape: MatmulShape;
  /** Static weights live in a ROM; dynamic ones (QKᵀ, R·V) arrive as a second input stream. */
  weights: 'static' | 'dynamic';
  /** Stall-all (HLS `stp`) or free-running (`frp`) pipeline. */
  style: 'stall-all' | 'free-running';
  /** frp only: entries of the private output buffer. */
  frpBuffer: number;
  inBits: number;
  weightBits: number;
  accBits: number;
  /** Weight ROM: words of cop·cip weights (static weights only; 0 words for dynamic); sparse: + a row-end flag. */
  weightMemory: { words: number; wordBits: number };
  stages: Stages;
  /** Static weights only: iterate only the stored (kept) tiles, in row order (weight-block pruning). */
  sparsity?: TileSparsity;
}

/**
 * Dynamic-weight cache: fills all co/cop × ci/cip tiles of one image, then replays them tt times. With `groups` > 1
 * (several heads sharing one QKᵀ / R·V pipeline) it fills every group's tiles, and each of the tt rows replays its
 * own group's tiles (the rows are (token pair, head) pairs).
 */
export interface WeightCacheProcess extends ProcessBase {
  kind: 'weight-cache';
  shape: MatmulShape;
  transposed: boolean;
  bits: number;
  fill: Stages;
  replay: Stages;
  groups?: number;
}

/** Three-pass LayerNorm: per token pair reads `channels/cp` beats, computes, then writes them. */
export interface LayerNormProcess extends ProcessBase {
  kind: 'layernorm';
  tt: number;
  tp: number;
  channels: number;
  cp: number;
  inBits: number;
  outBits: number;
  stages: Stages;
  /** The 1/√variance table (absent: HG-PIPE's, kinds/layernorm.ts). */
  rsqrt?: TableSize;
}

/** Three-pass softmax over `keys` scores per query pair. */
export interface SoftmaxProcess extends ProcessBase {
  kind: 'softmax';
  tt: number;
  tp: number;
  keys: number;
  cp: number;
  inBits: number;
  outBits: number;
  stages: Stages;
  /** Token-pruned blocks with an odd token count: keys ≥ validKeys are the padding slot (no max, no sum, output 0). */
  validKeys?: number;
  /** The exp table and the reciprocal's two segment tables (absent: HG-PIPE's, kinds/softmax.ts). */
  exp?: TableSize;
  recip?: [TableSize, TableSize];
}

/** Table requantizer (quant; GELU or ReLU fused with it): one beat in, one beat out; the table is tableEntries × outBits. */
export interface RequantProcess extends ProcessBase {
  kind: 'requant';
  fn: 'quant' | 'gelu' | 'relu';
  beats: number;
  lanes: number;
  inBits: number;
  outBits: number;
  tableEntries: number;
  stages: Stages;
}

/** Splits a token-pair row of heads·headDim channels into one stream per head. */
export interface HeadSplitProcess extends ProcessBase {
  kind: 'head-split';
  tt: number;
  heads: number;
  headDim: number;
  cp: number;
  lanes: number;
  bits: number;
  stages: Stages;
}

/** Interleaves one stream per head back into rows. */
export interface HeadMergeProcess extends ProcessBase {
  kind: 'head-merge';
  tt: number;
  heads: number;
  headDim: number;
  cp: number;
  lanes: number;
  bits: number;
  stages: Stages;
}

/** Residual add: one beat from each input, one out. */
export interface ResidualMergeProcess extends ProcessBase {
  kind: 'residual-merge';
  beats: number;
  lanes: number;
  bits: number;
  stages: Stages;
}

/** Reshaper first half: serialises tp-element beats to one element per cycle (an II = 2 loop in the RTL). */
export interface ReshapeUnpackProcess extends ProcessBase {
  kind: 'reshape-unpack';
  tokens: number;
  headDim: number;
  tp: number;
  bits: number;
}

/** Reshaper second half: buffers lcm(tip, top) tokens, then writes top·cop-element tiles (optionally transposed). */
export interface ReshapeReorderProcess extends ProcessBase {
  kind: 'reshape-reorder';
  tokens: number;
  headDim: number;
  tip: number;
  top: number;
  cop: number;
  transposed: boolean;
  bits: number;
  readLoop: Stages;
  writeLoop: Stages;
}

/**
 * Dynamic token selection (src/ir/kinds/token-select.ts): a pair of processes around a ping-pong image store. The
 * `rank` side reads the image and the H CLS-row score streams, ranks, fills a bank; the `emit` side reads the bank
 * out. Token counts are real (the engine's); the streams carry them in tp-token slots.
 */
export interface TokenSelectProcess extends ProcessBase {
  kind: 'token-select';
  side: 'rank' | 'emit';
  /** Tokens arriving (CLS included) and leaving (CLS + kept + fused). */
  tokensIn: number;
  tokensOut: number;
  /** Image tokens kept. */
  keep: number;
  /** Fuse the dropped tokens into one extra token (EViT, src/prune/tokens.ts). */
  fuse: boolean;
  width: number;
  tp: number;
  /** Channels per beat of the image stream in and out, keys per beat of the score streams. */
  cpIn: number;
  cpOut: number;
  cpScore: number;
  heads: number;
  /** Bits of one softmax output (score) and of one residual element. */
  scoreBits: number;
  bits: number;
  /** The image loop (rank side) or the read-out loop (emit side). */
  stages: Stages;
}

/** Forwards every beat and copies the first `tapBeats` to a second output (the softmax's CLS-row tap). */
export interface ScoreTapProcess extends ProcessBase {
  kind: 'score-tap';
  beats: number;
  tapBeats: number;
  lanes: number;
  bits: number;
  stages: Stages;
}

/**
 * Token merging between an attention block and its MLP (ToMe, src/merge): the `keys` side sums the block's quantized
 * keys (tapped) over heads, the `match` side decides each token's output slot, the `gather` side writes the image
 * into one bank of a ping-pong store (merging into the slots), the `emit` side reads the merged tokens out
 * (src/ir/kinds/token-merge.ts).
 */
export interface TokenMergeProcess extends ProcessBase {
  kind: 'token-merge';
  side: 'keys' | 'match' | 'gather' | 'emit';
  /** Tokens arriving (CLS included) and leaving (tokensIn − merged). */
  tokensIn: number;
  tokensOut: number;
  /** Tokens merged away (r after the cap). */
  merged: number;
  width: number;
  heads: number;
  headDim: number;
  tp: number;
  /** Channels per beat of the image in and out, and of the key stream. */
  cpIn: number;
  cpOut: number;
  cpKey: number;
  /** Bits of one key code, of one residual element, and of a token size. */
  keyBits: number;
  bits: number;
  sizeBits: number;
  /** Elements of the head-summed key metric multiplied per cycle in the similarity loop. */
  simLanes: number;
  /** The image loop (gather side) or the read-out loop (emit side). */
  stages: Stages;
}

/** The closed union of process kinds. */
export type Process =
  | StreamCopyProcess
  | ClsSelectProcess
  | AdapterProcess
  | WindowCacheProcess
  | MacProcess
  | WeightCacheProcess
  | LayerNormProcess
  | SoftmaxProcess
  | RequantProcess
  | HeadSplitProcess
  | HeadMergeProcess
  | ResidualMergeProcess
  | ReshapeUnpackProcess
  | ReshapeReorderProcess
  | TokenSelectProcess
  | ScoreTapProcess
  | TokenMergeProcess;

export type ProcessKind = Process['kind'];

/** Shift-register FIFOs show a beat one cycle after it is written, memory FIFOs two (DATAFLOW §0.5). */
export type FifoImpl = 'shift-register' | 'memory';

export interface Stream {
  name: string;
  lanes: number;
  bits: number;
  depth: number;
  impl: FifoImpl;
}

/** An `ap_ctrl_chain` start-token FIFO from a process or region to a process or region. */
export interface StartEdge {
  from: string;
  to: string;
  depth: number;
}

/** A nested dataflow region with several input processes, synchronised per image (DATAFLOW §0.10). */
export interface Region {
  name: string;
  members: string[];
}

export type BlockKind = 'patch-embed' | 'attn' | 'mlp' | 'head';

export interface Block {
  /** PATCH_EMBED, ATTN0.., MLP0.., HEAD. */
  name: string;
  kind: BlockKind;
  /**
   * `post`: a post-norm transformer block (input → residual fork → [input requantizer] → matmuls → residual add →
   * LayerNorm → output). Absent: HG-PIPE's pre-norm structure (LayerNorm first, the residual sum is the output).
   */
  norm?: 'post';
  /** Block input and output ports: 2-entry AXI-Stream register slices (lanes × bits per beat). */
  input: { stream: string; beatsPerImage: number };
  output: { stream: string; beatsPerImage: number };
  streams: Stream[];
  processes: Process[];
  startEdges: StartEdge[];
  regions: Region[];
}

export interface Design {
  name: string;
  /** The ViTConfig name the design was built from (informational). */
  model: string;
  /** Designs made from a quantized folder: the model's geometry (real token count), to check weights against. */
  geometry?: ModelGeometry;
  blocks: Block[];
  /** Depth of the FIFO between consecutive blocks (memory-style, 2-cycle latency). */
  linkDepth: number;
}

/** One read or write of a loop process: stream index into the process's inputs/outputs and the iteration predicate. */
export interface Access {
  dir: 'read' | 'write';
  port: number;
  stage: number;
  /** True on iteration i when lo ≤ floor(i / div) mod mod < hi. */
  when: Predicate;
}

export interface Predicate {
  div: number;
  mod: number;
  lo: number;
  hi: number;
  /** When given, v = floor(i / div) mod mod must also be one of these (per-row patterns of block-sparse MACs). */
  values?: number[];
  /** When given, this predicate must hold too. */
  and?: Predicate;
}

/** A flattened pipelined loop: n iterations (+1 exit slot), depth stages, accesses. */
export interface LoopProgram {
  n: number;
  depth: number;
  accesses: Access[];
}

/**
 * How a process behaves per image, as the simulator executes it:
 * `loop` — one stall-all or free-running pipelined loop; `unpack-ii2` — the reshaper's II = 2 loop (reads on even
 * iterations); `fsm` — a start state (1 cycle, waits for the start token), then `body` `repeat` times, then either
 * a 1-cycle ready state (`readyState`) or ready in the cycle the last sub-loop is done (DATAFLOW §0.9).
 */
export type TimingProgram =
  | { style: 'loop'; stall: 'all' | 'free'; frpBuffer: number; loop: LoopProgram }
  | { style: 'unpack-ii2'; n: number }
  | { style: 'fsm'; body: FsmStep[]; repeat: number; readyState: boolean };

export type FsmStep = { kind: 'state' } | { kind: 'loop'; loop: LoopProgram };
