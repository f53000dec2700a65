import type { InputSpec } from '../engine/index.ts';
import { runPrunedOne, type PruneRunRequest, type PruneRunResult } from './run.ts';

/** Worker-thread task: one photo under every pruning setting. */
export default async function runTask(task: { input: InputSpec; req: PruneRunRequest }): Promise<PruneRunResult | { error: unknown }> {
  try {
    return await runPrunedOne(task.input, task.req);
  } catch (e) {
    const d = (e as { diagnostic?: unknown }).diagnostic;
    return { error: d ?? { code: 'IO_ERROR', message: (e as Error).message ?? String(e), where: task.input.file } };
  }
}
