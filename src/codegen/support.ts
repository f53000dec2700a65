import { fail } from '../diag/index.ts';
import type { Design } from '../ir/index.ts';

/**
 * What code generation cannot emit, refused before any C++ is written rather than emitted wrong. Post-norm blocks
 * (input requantizer, LayerNorm after the residual merge), ReLU tables and attention pipelines shared by several
 * heads (`groups` on the K/V weight caches) are generated; what is left is a shared pipeline whose rows are not
 * (token pair, head) pairs of its weight cache's head count.
 */
export function checkGeneratable(d: Design, where = d.name): void {
  for (const b of d.blocks)
    for (const p of b.processes)
      if (p.kind === 'weight-cache' && (p.groups ?? 1) > 1 && p.shape.tt % (p.groups ?? 1) !== 0)
        fail('BAD_DESIGN', `weight cache ${p.name} of block ${b.name} is shared by ${p.groups} heads but has ${p.shape.tt} rows, not a multiple`, where);
}
