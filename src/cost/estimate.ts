import { loadDesign, type Block, type Design, type ProcessKind } from '../ir/index.ts';
import { MODEL } from './constants.ts';
import type { Device } from './devices.ts';
import { fifoCost, type MemoryStyle } from './primitives.ts';
import { rebindToUram, type BindingOptions, type PlacedMemory } from './binding.ts';
import { processCost, streamCost, type CostContext, type MemoryUse } from './process-cost.ts';
import { add, res, rounded, type Resources } from './resources.ts';

export interface EstimateOptions {
  /** Storage of dynamic K/V caches (HG-PIPE: LUTRAM). */
  weightCacheStyle?: MemoryStyle;
  /** Share of the device's BRAM a design may use before memories are rebound to URAM (default 0.9, as the planner). */
  maxUtilization?: number;
  /** How memories may move to URAM (default DESIGN_BINDING: ROMs too, loaded at start-up on UltraScale+). */
  binding?: BindingOptions;
}

/**
 * vitpipe's designs use all the UltraRAM a device has: weights and large tables may move there on UltraScale+ too,
 * written once after configuration (code generation has to provide that load; see binding.ts).
 */
export const DESIGN_BINDING: BindingOptions = { romsLoadedAtStart: true };

export interface BlockEstimate {
  name: string;
  kind: Block['kind'];
  /** Post-synthesis-equivalent resources (what Vivado's synthesis report would show for the block alone). */
  resources: Resources;
  /** What the HLS tool's own csynth estimate would print for the block (LUT/FF; BRAM as memories in 18-Kb units). */
  hls: { lut: number; ff: number };
  /** Resources by process kind plus `fifo` (data streams), `control` (start tokens, I/O register slices). */
  byKind: Partial<Record<ProcessKind | 'fifo' | 'control', Resources>>;
  /** Memories HLS binds to block RAM (candidates for the URAM rebinding). */
  memories: MemoryUse[];
}

export interface DesignEstimate {
  blocks: BlockEstimate[];
  /** FIFOs between blocks (outside the HLS blocks). */
  links: Resources;
  total: Resources;
  hlsTotal: { lut: number; ff: number };
  /** Memories moved from BRAM to URAM because the design's BRAM exceeded the device (already in `total`). */
  movedToUram: PlacedMemory[];
}

export function costContext(block: Block, device: Pick<Device, 'capacity'>, opts: EstimateOptions = {}): CostContext {
  return {
    blockKind: block.kind,
    uramAvailable: device.capacity.uram > 0,
    weightCacheStyle: opts.weightCacheStyle ?? 'lutram',
  };
}

export function estimateBlock(block: Block, device: Pick<Device, 'capacity'>, opts: EstimateOptions = {}): BlockEstimate {
  const memories: MemoryUse[] = [];
  const ctx = { ...costContext(block, device, opts), memories };
  const byKind: BlockEstimate['byKind'] = {};
  for (const p of block.processes) byKind[p.kind] = add(byKind[p.kind] ?? res({}), processCost(p, ctx));
  const fifo = add(...block.streams.map((s) => streamCost(s, ctx.uramAvailable, memories)));
  // start-token FIFOs (2 entries of 1 bit) and the two AXI-Stream register slices at the block's ports
  const portBits = (name: string) => {
    const s = block.streams.find((x) => x.name === name);
    return s ? s.lanes * s.bits : 0;
  };
  const control = add(
    res({ lut: 4 * block.startEdges.length, ff: 3 * block.startEdges.length }),
    fifoCost(2, portBits(block.input.stream)),
    fifoCost(2, portBits(block.output.stream)),
  );
  byKind.fifo = fifo;
  byKind.control = control;
  const resources = add(...Object.values(byKind));
  const macLut = byKind.mac?.lut ?? 0;
  return {
    name: block.name,
    kind: block.kind,
    resources,
    hls: {
      lut: macLut * MODEL.hlsMacLutFactor + (resources.lut - macLut) * MODEL.hlsOtherLutFactor,
      ff: resources.ff * MODEL.hlsFfFactor,
    },
    byKind,
    memories,
  };
}

export function estimateDesign(design: Design, device: Device, opts: EstimateOptions = {}): DesignEstimate {
  const blocks = design.blocks.map((b) => estimateBlock(b, device, opts));
  const uram = device.capacity.uram > 0;
  let links = res({});
  for (let i = 0; i + 1 < design.blocks.length; i++) {
    const out = design.blocks[i].output.stream;
    const s = design.blocks[i].streams.find((x) => x.name === out);
    if (s) links = add(links, fifoCost(design.linkDepth, s.lanes * s.bits, uram));
  }
  const placed = blocks.flatMap((b) => b.memories.map((m) => ({ ...m, block: b.name, count: 1 })));
  const { moved, resources: total } = rebindToUram(add(links, ...blocks.map((b) => b.resources)), placed, device, opts.maxUtilization ?? 0.9, opts.binding ?? DESIGN_BINDING);
  for (const m of moved) {
    const b = blocks.find((x) => x.name === m.block)!;
    b.resources = { ...b.resources, bram: b.resources.bram - m.bram, uram: b.resources.uram + m.uram, lut: b.resources.lut - m.lut };
  }
  const hlsTotal = blocks.reduce((a, b) => ({ lut: a.lut + b.hls.lut, ff: a.ff + b.hls.ff }), { lut: 0, ff: 0 });
  return { blocks, links, total, hlsTotal, movedToUram: moved };
}

/** Where a design's resources go: every block's per-kind figures summed, `link` for the FIFOs between blocks. */
export type KindBreakdown = Partial<Record<ProcessKind | 'fifo' | 'control' | 'link', Resources>>;

/**
 * The design's resources by process kind. Memories rebound to UltraRAM are moved within the kind that owns them, so
 * that the kinds add up to `e.total` exactly.
 */
export function resourcesByKind(design: Design, e: DesignEstimate): KindBreakdown {
  const out: KindBreakdown = { link: e.links };
  for (const b of e.blocks) for (const [k, r] of Object.entries(b.byKind) as Array<[keyof KindBreakdown, Resources]>) out[k] = add(out[k] ?? res({}), r);
  for (const m of e.movedToUram) {
    const owner = design.blocks.find((b) => b.name === m.block)?.processes.find((p) => p.name === m.process)?.kind ?? 'fifo';
    out[owner] = add(out[owner]!, res({ bram: -m.bram, uram: m.uram, lut: -m.lut }));
  }
  return out;
}

/** Rounded copies for printing (BRAM to the 18-Kb half). */
export function roundedEstimate(e: DesignEstimate): DesignEstimate {
  return {
    blocks: e.blocks.map((b) => ({ ...b, resources: rounded(b.resources), hls: { lut: Math.round(b.hls.lut), ff: Math.round(b.hls.ff) } })),
    links: rounded(e.links),
    total: rounded(e.total),
    hlsTotal: { lut: Math.round(e.hlsTotal.lut), ff: Math.round(e.hlsTotal.ff) },
    movedToUram: e.movedToUram,
  };
}


/** `--design` for the estimator: a built-in design name or a design file (see src/ir). */
export function loadDesignOrModel(nameOrFile: string): Design {
  return loadDesign(nameOrFile);
}
