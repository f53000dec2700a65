import { processCycles, type Block, type Process } from '../ir/index.ts';
import { estimateBlock } from './estimate.ts';
import type { MemoryUse } from './process-cost.ts';
import { type Device } from './devices.ts';
import { res, RESOURCE_KEYS, type Resources } from './resources.ts';

/** What a unit built into a block (a token selector, a merge unit) adds to it, for the planners. */
export interface AddedUnit {
  /** The resources the block with the unit takes beyond the block without it. */
  resources: Resources;
  /** The unit's slowest process (cycles per image, never stalled) and its name. */
  cycles: number;
  process: string;
  /** The unit's BRAM-bound memories, for URAM rebinding. */
  memories: MemoryUse[];
}

/** `withUnit` is `without` plus a unit whose processes `isPart` picks and whose memories' processes `memoryOf` matches. */
export function addedUnit(without: Block, withUnit: Block, device: Pick<Device, 'capacity'>, isPart: (p: Process) => boolean, memoryOf: RegExp): AddedUnit {
  const after = estimateBlock(withUnit, device);
  const before = estimateBlock(without, device);
  const resources = res(Object.fromEntries(RESOURCE_KEYS.map((k) => [k, after.resources[k] - before.resources[k]])));
  let cycles = 0;
  let process = '';
  for (const p of withUnit.processes) {
    if (!isPart(p)) continue;
    const c = processCycles(p);
    if (c > cycles) [cycles, process] = [c, p.name];
  }
  return { resources, cycles, process, memories: after.memories.filter((m) => memoryOf.test(m.process)) };
}
