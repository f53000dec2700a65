import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { float32Tensor, floatValues, readSafetensors, writeSafetensors, type NamedTensors } from '../checkpoint/index.ts';
import { fail, readJsonFile, writeFolderAtomically } from '../diag/index.ts';
import { FloatManifestSchema, MANIFEST_FILE, WEIGHTS_FILE, expectedTensors, type FloatManifest, type FloatModel } from './manifest.ts';

/** Is `dir` a float model folder (holds a manifest)? Cheap; says nothing about its validity. */
export function isFloatModelFolder(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && existsSync(join(dir, MANIFEST_FILE));
  } catch {
    return false;
  }
}

/** Geometry consistency beyond the schema: every later layer relies on these. */
export function checkManifest(m: FloatManifest, where: string): FloatManifest {
  const g = m.geometry;
  if (g.imageSize % g.patchSize !== 0)
    fail('BAD_MODEL', `geometry.imageSize ${g.imageSize} is not a multiple of geometry.patchSize ${g.patchSize}`, where);
  if (g.width % g.heads !== 0) fail('BAD_MODEL', `geometry.width ${g.width} is not divisible by geometry.heads ${g.heads}`, where);
  const patches = (g.imageSize / g.patchSize) ** 2;
  if (g.tokens !== patches + 1)
    fail('BAD_MODEL', `geometry.tokens ${g.tokens} must be 1 + (imageSize/patchSize)² = ${patches + 1}`, where);
  if (m.input.crop !== g.imageSize) fail('BAD_MODEL', `input.crop ${m.input.crop} must equal geometry.imageSize ${g.imageSize}`, where);
  if (m.input.resize < m.input.crop) fail('BAD_MODEL', `input.resize ${m.input.resize} is smaller than input.crop ${m.input.crop}`, where);
  if (m.input.interpolation === 'none' && m.input.resize !== m.input.crop)
    fail('BAD_MODEL', `input.interpolation 'none' needs input.resize = input.crop (${m.input.crop})`, where);
  if (m.input.std.some((s) => s === 0)) fail('BAD_MODEL', 'input.std has a zero', where);
  if (g.inChannels !== 3) fail('BAD_MODEL', `geometry.inChannels ${g.inChannels}: only RGB (3) photos are supported`, where);
  if (m.classes.length !== 0 && m.classes.length !== g.numClasses)
    fail('BAD_MODEL', `classes has ${m.classes.length} names for ${g.numClasses} classes`, where);
  return m;
}

/** Load a model folder: validated manifest and every canonical tensor, checked for shape and type. */
export function readFloatModel(dir: string): FloatModel {
  const manifestFile = join(dir, MANIFEST_FILE);
  if (!isFloatModelFolder(dir))
    fail('BAD_MODEL', `not a vitpipe model folder (no ${MANIFEST_FILE})`, dir, 'make one with `vitpipe import --from <checkpoint> --out <folder>`');
  const raw = readJsonFile(manifestFile, 'BAD_MODEL', 'the manifest');
  const parsed = FloatManifestSchema.safeParse(raw);
  if (!parsed.success) fail('BAD_MODEL', z.prettifyError(parsed.error).replace(/\n+/g, '; '), manifestFile);
  const manifest = checkManifest(parsed.data, manifestFile);
  const weightsFile = join(dir, WEIGHTS_FILE);
  if (!existsSync(weightsFile)) fail('BAD_MODEL', `missing ${WEIGHTS_FILE}`, dir);
  const stored = readSafetensors(weightsFile);
  const tensors = new Map<string, Float32Array>();
  for (const { name, shape } of expectedTensors(manifest)) {
    const t = stored.get(name);
    if (!t) fail('BAD_MODEL', `tensor '${name}' is missing`, weightsFile);
    if (t.shape.length !== shape.length || t.shape.some((n, i) => n !== shape[i]))
      fail('BAD_MODEL', `tensor '${name}' has shape [${t.shape.join(', ')}], the manifest implies [${shape.join(', ')}]`, weightsFile);
    tensors.set(name, floatValues(t));
  }
  return { manifest, tensors };
}

/**
 * Write a model folder all-or-nothing: into a fresh sibling folder, renamed into place once complete. An existing
 * model folder at `dir` is replaced only when the new one is complete; any other non-empty folder is left alone.
 */
export function writeFloatModel(dir: string, model: FloatModel): void {
  const tensors: NamedTensors = new Map();
  for (const { name, shape } of expectedTensors(model.manifest)) {
    const values = model.tensors.get(name);
    if (!values) fail('BAD_MODEL', `tensor '${name}' is missing`, dir);
    tensors.set(name, float32Tensor(shape, values));
  }
  writeFolderAtomically(dir, 'vitpipe model folder', isFloatModelFolder, (staging) => {
    writeFileSync(join(staging, WEIGHTS_FILE), writeSafetensors(tensors, { format: 'vitpipe-float-model' }));
    writeFileSync(join(staging, MANIFEST_FILE), JSON.stringify(model.manifest, null, 2) + '\n');
  });
}
