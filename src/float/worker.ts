import { floatWorkerTask } from './session.ts';

/** Worker-thread task: one photo through the float model (the folder is loaded once per thread). */
export default floatWorkerTask;
