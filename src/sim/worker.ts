import { workerTask } from '../workers/index.ts';
import { type BlocksTask, simulateBlocksAlone } from './design-sim.ts';

/** Worker-thread task: every block of a design simulated alone (simulateDesignConcurrently). */
export default workerTask((t: BlocksTask) => simulateBlocksAlone(t.design, t.blockImages, t.engine), (t) => `design ${t.design.name}`);
