import { runOne, type InputSpec, type RunRequest, type RunResult } from './session.ts';

/** Worker-thread task: one input through the engine (weights are loaded once per thread and cached). */
export default async function runTask(task: { input: InputSpec; req: RunRequest }): Promise<RunResult | { error: unknown }> {
  try {
    return await runOne(task.input, task.req);
  } catch (e) {
    // VitpipeError does not survive structured cloning as a class: send its diagnostic as data.
    const d = (e as { diagnostic?: unknown }).diagnostic;
    return { error: d ?? { code: 'IO_ERROR', message: (e as Error).message ?? String(e), where: task.input.file } };
  }
}
