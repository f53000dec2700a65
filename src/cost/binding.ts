import type { Device } from './devices.ts';
import type { MemoryUse } from './process-cost.ts';
import type { Resources } from './resources.ts';

/** A BRAM-bound memory of some block(s): `count` identical copies (one per block of a kind). */
export interface PlacedMemory extends MemoryUse {
  block: string;
  count: number;
  /** A ROM moved to an UltraScale+ UltraRAM: its contents must be written once after configuration (see below). */
  loadAtStart?: boolean;
}

export interface Rebinding {
  /** Memories moved to UltraRAM (copies moved in `count`). */
  moved: PlacedMemory[];
  resources: Resources;
}

export interface BindingOptions {
  /**
   * ROMs (weights, large tables) may move to UltraRAM on every family that has it. Versal UltraRAM is initialised
   * from the bitstream (AM007 "UltraRAM Content Initialization"); UltraScale+ UltraRAM powers up as zeros, so there a
   * moved ROM is a RAM the design writes once after configuration (a start-up load, `loadAtStart`). Default: false,
   * ROMs move only where the bitstream initialises them.
   */
  romsLoadedAtStart?: boolean;
}

/** Whether a ROM may live in this device's UltraRAM, and whether it then needs a start-up load. */
export function romInUram(device: Pick<Device, 'family' | 'capacity'>, opts: BindingOptions = {}): { allowed: boolean; loadAtStart: boolean } {
  if (device.capacity.uram === 0) return { allowed: false, loadAtStart: false };
  if (device.family === 'versal') return { allowed: true, loadAtStart: false };
  return { allowed: opts.romsLoadedAtStart === true, loadAtStart: true };
}

/**
 * When a design needs more block RAM than the device has, bind memories to UltraRAM instead (an HLS
 * `bind_storage … impl=uram`), most BRAM saved per URAM first, until the BRAM fits or URAM runs out. RAMs and FIFOs
 * may move on every family with URAM; ROMs as `romInUram` allows. Designs that fit are left as HLS binds them.
 */
export function rebindToUram(total: Resources, memories: PlacedMemory[], device: Device, utilisation = 1, opts: BindingOptions = {}): Rebinding {
  const cap = device.capacity;
  const out = { ...total };
  const moved: PlacedMemory[] = [];
  if (out.bram <= cap.bram * utilisation || cap.uram === 0) return { moved, resources: out };
  const roms = romInUram(device, opts);
  const movable = memories
    .filter((m) => m.uram > 0 && (!m.rom || roms.allowed))
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
    moved.push({ ...m, count: n, ...(m.rom && roms.loadAtStart ? { loadAtStart: true } : {}) });
  }
  return { moved, resources: out };
}
