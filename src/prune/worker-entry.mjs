// Worker threads start without the TypeScript loader the main thread may have: register it, then load the task.
import { register } from 'tsx/esm/api';

register();
const { default: runTask } = await import('./worker.ts');
export default runTask;
