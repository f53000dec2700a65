import { workerTask } from '../workers/index.ts';
import { type FifoSizeTask, runFifoSizeTask } from './fifo-size.ts';

/** Worker-thread task of sizeFifosConcurrently: size one block kind, or verify one block structure. */
export default workerTask((t: FifoSizeTask) => runFifoSizeTask(t), (t) => (t.op === 'kind' ? `block kind ${t.kind}` : `block ${t.block.name}`));
