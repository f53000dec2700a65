import { inputTask } from './pool.ts';
import { runOne, type InputSpec, type RunRequest } from './session.ts';

/** Worker-thread task: one input through the engine (weights are loaded once per thread and cached). */
export default inputTask((task: { input: InputSpec; req: RunRequest }) => runOne(task.input, task.req));
