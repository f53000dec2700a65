/**
 * Every number the resource model uses that is not a property of the FPGA fabric. Fabric facts (BRAM aspect ratios,
 * LUTRAM geometry, SRL length) are in `primitives.ts` with the data-sheet reference. The free constants below were
 * fitted ONLY on the ATTN and MLP rows of the per-block synthesis table in FACTS.md (`bench/plan.ts --calibrate`
 * reprints the fit); PATCH_EMBED and HEAD are held out as the out-of-sample check. See docs/RESOURCES.md.
 */
export const MODEL = {
  /** LUTs per partial-product bit (wb·ab) of a LUT-built multiplier. Fitted (ATTN/MLP LUT): a 3×3 product ≈ 3.4 LUTs. */
  lutPerProductBit: 0.377,
  /** LUTs per bit of a carry-chain adder, comparator or clamp: one LUT6 per bit on UltraScale+/Versal (fabric). */
  lutPerAdderBit: 1,
  /**
   * LUTs per enumerated bit of the non-MAC datapath (LayerNorm, softmax, requant, residual: adders, comparators,
   * clamps, pass muxes). Fitted on ATTN/MLP LUT together with lutPerProductBit; < 1 means the enumeration in
   * process-cost.ts over-counts what Vivado keeps (constant operands, shared carry chains).
   */
  datapathOverhead: 0.84,
  /**
   * One HLS process's control: a fixed part (start/ready handshake, exit slot, stall-all enable) plus, per bit of
   * its flattened loop counter, the increment and compare of that counter and of the per-dimension counters it is
   * decoded into (about two LUTs and two registers per bit each). Not fitted.
   */
  controlLut: 24,
  controlLutPerCounterBit: 4,
  controlFf: 30,
  controlFfPerCounterBit: 3,
  /** LUTs and FFs of a FIFO's pointers, flags and handshake (beyond its storage). */
  fifoControlLut: 12,
  fifoControlFf: 10,
  /** Extra control of a memory (`_A`) FIFO: read/write address counters and the output register. */
  memFifoControlLut: 24,
  /** Pipeline registers per LUT of adder-tree and datapath logic. Fitted on ATTN/MLP FF (least squares). */
  ffPerDatapathLut: 0.48,
  /**
   * Streams of at most this many bits (depth·width) become HLS shift-register (`_S`) FIFOs, larger ones memory
   * (`_A`) FIFOs. From DATAFLOW.md: 64×6 and 32×24 are `_S`, 32×36 and 64×22 are `_A`.
   */
  srlFifoMaxBits: 1024,
  /** A RAM or ROM goes to LUTRAM when it is at most this deep or this many bits (Vivado's auto ram_style). */
  lutramMaxDepth: 64,
  lutramMaxBits: 4096,
  /**
   * Dynamic K/V caches up to this many words stay in LUTRAM as HG-PIPE binds them (its caches are 448 words of 84
   * bits, SPEC §4.1); deeper ones — several heads sharing one pipeline, or narrow tiles — follow the RAM rules.
   */
  lutramCacheMaxWords: 512,
  /** DSPs per LUT-free multiplier of at most 27×24 (Versal DSP58) / 27×18 (DSP48E2) bits. */
  dspPerMac: 1,
  /**
   * HLS-estimate equivalent: Vitis HLS's csynth LUT figure ≈ MAC processes × 1.05 + everything else × 2.97 (fitted
   * exactly on ATTN0 and MLP0 of hls-block-estimates.json; HLS over-counts small operators, FIFOs and control far
   * more than MAC arrays). FF ≈ 1.25 × the synthesis figure (mean ratio of ATTN0 and MLP0).
   */
  hlsMacLutFactor: 1.05,
  hlsOtherLutFactor: 2.97,
  hlsFfFactor: 1.25,
} as const;

export type ModelConstants = typeof MODEL;
