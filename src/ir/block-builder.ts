import type { Block, BlockKind, FifoImpl, Process, Region, StartEdge, Stream } from './types.ts';

/** Small helper that collects a block's streams, processes, start edges and regions in order. */
export class BlockBuilder {
  readonly streams: Stream[] = [];
  readonly processes: Process[] = [];
  readonly startEdges: StartEdge[] = [];
  readonly regions: Region[] = [];
  constructor(readonly name: string, readonly kind: BlockKind) {}

  stream(name: string, lanes: number, bits: number, depth: number, impl?: FifoImpl): string {
    this.streams.push({ name, lanes, bits, depth, impl: impl ?? (depth <= 8 ? 'shift-register' : 'memory') });
    return name;
  }
  add<P extends Process>(p: P): P {
    this.processes.push(p);
    return p;
  }
  start(from: string, to: string | string[], depth = 2): void {
    for (const t of Array.isArray(to) ? to : [to]) this.startEdges.push({ from, to: t, depth });
  }
  region(name: string, members: string[]): string {
    this.regions.push({ name, members });
    return name;
  }
  build(input: string, inBeats: number, output: string, outBeats: number, postNorm = false): Block {
    return {
      name: this.name,
      kind: this.kind,
      ...(postNorm ? { norm: 'post' as const } : {}),
      input: { stream: input, beatsPerImage: inBeats },
      output: { stream: output, beatsPerImage: outBeats },
      streams: this.streams,
      processes: this.processes,
      startEdges: this.startEdges,
      regions: this.regions,
    };
  }
}

/** Accumulator bits for a dot product of `terms` products of a×b-bit operands. */
export const accBits = (a: number, b: number, terms: number): number => Math.min(48, a + b + Math.ceil(Math.log2(Math.max(2, terms))));
export const st = (depth: number, read: number, write: number) => ({ depth, read, write });
