import { inputTask, type InputSpec } from '../engine/index.ts';
import { runPrunedOne, type PruneRunRequest } from './run.ts';

/** Worker-thread task: one photo under every pruning setting. */
export default inputTask((task: { input: InputSpec; req: PruneRunRequest }) => runPrunedOne(task.input, task.req));
