/** The default registry version of an uploaded package: `<manifest version>+<build>` (read before verification). */
import { MANIFEST_FILE, readPackage } from '@linewatch/model-package';
import { parseManifest } from '@linewatch/protocol';
import { ctrlError } from '../errors.js';

export function readManifestVersion(tar: Buffer, maxBytes: number): string {
  try {
    const entries = readPackage(new Uint8Array(tar.buffer, tar.byteOffset, tar.byteLength), maxBytes);
    const bytes = entries.find((e) => e.path === MANIFEST_FILE)?.data;
    if (!bytes) throw new Error(`no ${MANIFEST_FILE}`);
    const m = parseManifest(bytes);
    return `${m.version}+${m.build}`.slice(0, 64);
  } catch (e) {
    throw ctrlError('LW_CTRL_MODEL_PACKAGE_INVALID', `cannot read the package manifest: ${(e as Error).message}`, {
      cause: e,
    });
  }
}
