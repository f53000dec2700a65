/**
 * Block-sparse static matmuls in the resource model (weight-block pruning). The MAC's weight ROM holds one word per
 * stored tile plus a row-end flag (its shape is the IR's `weightMemory`, from weightMemoryOf); the window cache
 * doubles its row buffer (ping-pong: it reads token pair t + 1 while replaying pair t) and adds a ROM of the tile
 * column to replay per iteration. This file is the one place these extras are priced and summarised.
 */
import { columnBits, sparseIterations, weightMemoryOf, type Block, type WindowCacheProcess } from '../ir/index.ts';

/** Row-buffer depth (beats) and replay-order ROM (words × bits) of a window cache; dense windows have no ROM. */
export function windowStorage(p: WindowCacheProcess): { bufferDepth: number; indexRom?: { depth: number; width: number } } {
  const cit = p.shape.ci / p.shape.cip;
  if (!p.sparsity) return { bufferDepth: cit };
  return { bufferDepth: 2 * cit, indexRom: { depth: sparseIterations(p.sparsity), width: columnBits(p.shape) } };
}

export interface WeightRomSummary {
  /** Static MAC arrays in the blocks. */
  macs: number;
  sparseMacs: number;
  /** Weight ROM bits as built (sparse ROMs: stored tiles and row-end flags; window index ROMs included). */
  bits: number;
  /** The same matmuls with dense ROMs. */
  denseBits: number;
  storedTiles: number;
  denseTiles: number;
}

/** Weight-ROM bits of the static MACs of some blocks (each counted `count` times), against dense ROMs. */
export function weightRomSummary(blocks: Array<{ block: Block; count: number }>): WeightRomSummary {
  const s: WeightRomSummary = { macs: 0, sparseMacs: 0, bits: 0, denseBits: 0, storedTiles: 0, denseTiles: 0 };
  for (const { block, count } of blocks)
    for (const p of block.processes) {
      if (p.kind === 'window-cache') {
        const rom = windowStorage(p).indexRom;
        if (rom) s.bits += count * rom.depth * rom.width;
      }
      if (p.kind !== 'mac' || p.weights !== 'static') continue;
      const dense = weightMemoryOf(p.shape, p.weightBits);
      s.macs += count;
      s.bits += count * p.weightMemory.words * p.weightMemory.wordBits;
      s.denseBits += count * dense.words * dense.wordBits;
      s.denseTiles += count * dense.words;
      if (p.sparsity) {
        s.sparseMacs += count;
        s.storedTiles += count * p.sparsity.rows.reduce((n, r) => n + r.length, 0);
      } else s.storedTiles += count * dense.words;
    }
  return s;
}
