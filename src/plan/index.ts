export { noBuildableDesign, plan, shortfallOf, type PlanRequest, type PlanResult, type ParetoPoint, type Shortfall } from './plan.ts';
export { sweep, paretoFront, evaluate, pickChoice, type Candidate, type SearchOptions } from './search.ts';
export { assembleDesign, assembleBlock, paddedTokens, type KindConfigs } from './assemble.ts';
export { knobsFor, configsOf, geometryOf, intervalFloor, HGPIPE_CHOICE, type Choice, type KnobName } from './space.ts';
export { verifyDesign, type Verification } from './verify.ts';
export { settleFifos, deepen, type SettleStep } from './settle.ts';
