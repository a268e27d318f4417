/**
 * Start-up model selection: the pointer's `live` package, else its `previous` one (a live package that no longer
 * verifies or loads must not leave the cameras unwatched), else the configured initial package, installed now.
 */
import type { KeyObject } from 'node:crypto';
import { MODEL_FILE, readPackage, verifyEntries } from '@linewatch/model-package';
import type { Manifest } from '@linewatch/protocol';
import { AgentError, reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { LoadedModel } from './loaded-model.js';
import type { ModelStore } from './store.js';

export type ModelLoader = (version: string, manifest: Manifest, modelBytes: Uint8Array) => Promise<LoadedModel>;

export function versionOf(m: Manifest): string {
  return `${m.version}+${m.build}`;
}

export async function loadStartupModel(
  store: ModelStore,
  keys: readonly KeyObject[],
  initialPackage: string | undefined,
  load: ModelLoader,
  log: Logger,
): Promise<LoadedModel> {
  const pointer = store.pointer();
  for (const [role, version] of [
    ['live', pointer?.live],
    ['previous', pointer?.previous],
  ] as const) {
    if (!version || !store.has(version)) continue;
    try {
      const v = store.verify(version, keys);
      const model = await load(version, v.manifest, v.files.get(MODEL_FILE)!);
      if (role === 'previous') {
        log('warn', `live model ${pointer?.live} unusable; serving previous ${version}`);
        store.setPointer({ live: version, previous: null });
      }
      return model;
    } catch (e) {
      log('error', `cannot load ${role} model ${version}: ${reasonOf(e)}`, { code: 'LW_AGENT_NO_MODEL' });
    }
  }
  if (!initialPackage) {
    throw new AgentError('LW_AGENT_NO_MODEL', 'no installed model loads and model.initialPackage is not configured');
  }
  let entries;
  let verified;
  try {
    entries = readPackage(initialPackage);
    verified = verifyEntries(entries, keys);
  } catch (e) {
    throw new AgentError(
      'LW_AGENT_NO_MODEL',
      `initial package ${initialPackage} rejected: ${reasonOf(e)}`,
      { path: initialPackage },
      { cause: e },
    );
  }
  const version = versionOf(verified.manifest);
  const model = await load(version, verified.manifest, verified.files.get(MODEL_FILE)!);
  store.install(version, entries);
  store.setPointer({ live: version, previous: pointer?.live && store.has(pointer.live) ? pointer.live : null });
  log('info', `installed initial model ${version}`);
  return model;
}
