export { checkGeneratable } from './support.ts';
export { generateProject, writeProject, type GenerateOptions, type GeneratedProject, type ProjectFile } from './project.ts';
export { emitBlock, blockPorts, blockStem, type BlockCode, type PortGeometry } from './block.ts';
export { CodeWriter, NameScope, cIdent, cInt } from './writer.ts';
export { EMITTERS } from './emit/index.ts';
export { checkFolderMatchesDesign, completeTypes, maskPaddingKeys } from './folder.ts';
export { planProjectWrite, PROJECT_MANIFEST, type ProjectWrite } from './manifest.ts';
