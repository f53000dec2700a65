import { fail } from '../diag/index.ts';
import type { Design } from '../ir/index.ts';

/**
 * What code generation cannot emit yet, refused before any C++ is written rather than emitted wrong: post-norm
 * blocks (LayerNorm after the residual add, the input requantizer), ReLU tables, and attention pipelines shared by
 * several heads. Planner designs of a quantized folder (`vitpipe plan --model <folder>`) have these.
 */
export function checkGeneratable(d: Design, where = d.name): void {
  const post = d.blocks.filter((b) => b.norm === 'post').map((b) => b.name);
  if (post.length)
    fail('BAD_DESIGN', `post-norm blocks (${list(post)}) are not yet supported by code generation`, where,
      'plan, estimate, simulate and fifo-size accept this design; HLS code for post-norm blocks is not written yet');
  const relu = d.blocks.filter((b) => b.processes.some((p) => p.kind === 'requant' && p.fn === 'relu')).map((b) => b.name);
  if (relu.length) fail('BAD_DESIGN', `ReLU activation tables (${list(relu)}) are not yet supported by code generation`, where);
  const shared = d.blocks.filter((b) => b.processes.some((p) => p.kind === 'weight-cache' && (p.groups ?? 1) > 1)).map((b) => b.name);
  if (shared.length)
    fail('BAD_DESIGN', `attention pipelines shared by several heads (${list(shared)}) are not yet supported by code generation`, where);
}

const list = (names: string[]) => (names.length > 3 ? `${names.slice(0, 3).join(', ')}, … ${names.length} in all` : names.join(', '));
