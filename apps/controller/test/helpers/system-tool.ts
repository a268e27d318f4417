/** System tools the suite runs when installed (CI installs them; a local run without them skips with the reason). */
import { spawnSync } from 'node:child_process';

/** Null when `cmd --version` runs, else why the tests that need it skip. */
export function missingTool(cmd: string, debianPackage: string): string | null {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  return r.error || r.status !== 0 ? `${cmd} not installed (Debian package ${debianPackage}; CI installs it)` : null;
}
