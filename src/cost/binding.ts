import type { Device } from './devices.ts';
import type { MemoryUse } from './process-cost.ts';
import type { Resources } from './resources.ts';

/** A BRAM-bound memory of some block(s): `count` identical copies (one per block of a kind). */
export interface PlacedMemory extends MemoryUse {
  block: string;
  count: number;
}

export interface Rebinding {
  /** Memories moved to UltraRAM (copies moved in `count`). */
  moved: PlacedMemory[];
  resources: Resources;
}

/**
 * When a design needs more block RAM than the device has, bind memories to UltraRAM instead (an HLS
 * `bind_storage … impl=uram`), most BRAM saved per URAM first, until the BRAM fits or URAM runs out. RAMs and FIFOs
 * may move on every family with URAM; ROMs only on Versal, whose UltraRAM can be initialised from the bitstream
 * (UG1273 "UltraRAM Primitives"; UltraScale+ URAM powers up as zeros). Designs that fit are left as HLS binds them.
 */
export function rebindToUram(total: Resources, memories: PlacedMemory[], device: Device, utilisation = 1): Rebinding {
  const cap = device.capacity;
  const out = { ...total };
  const moved: PlacedMemory[] = [];
  if (out.bram <= cap.bram * utilisation || cap.uram === 0) return { moved, resources: out };
  const movable = memories
    .filter((m) => m.uram > 0 && (!m.rom || device.family === 'versal'))
    .sort((a, b) => b.bram / b.uram - a.bram / a.uram || b.bram - a.bram);
  for (const m of movable) {
    if (out.bram <= cap.bram * utilisation) break;
    const need = Math.ceil((out.bram - cap.bram * utilisation) / m.bram);
    const room = Math.floor((cap.uram * utilisation - out.uram) / m.uram);
    const n = Math.min(m.count, need, room);
    if (n <= 0) continue;
    out.bram -= n * m.bram;
    out.uram += n * m.uram;
    out.lut -= n * m.lut;
    moved.push({ ...m, count: n });
  }
  return { moved, resources: out };
}
