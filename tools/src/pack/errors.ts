/** Coded errors of `npm run pack`: each names what to run or fix before packing again. */
export const PACK_ERRORS = {
  LW_TOOLS_PACK_USAGE: 'bad command line',
  LW_TOOLS_PACK_NOT_BUILT: 'a package has no build, or its build is older than its sources: run `npm run build`',
  LW_TOOLS_PACK_UNDECLARED: 'built code imports a package its package.json does not list in dependencies',
  LW_TOOLS_PACK_UNKNOWN: 'a workspace package named on the command line or as a dependency does not exist',
  LW_TOOLS_PACK_NPM: '`npm pack` failed',
  LW_TOOLS_PACK_LOCK: 'an app needs a package that package-lock.json does not hold: run `npm install` and pack again',
} as const;

export type PackErrorCode = keyof typeof PACK_ERRORS;

export class PackError extends Error {
  override readonly name = 'PackError';
  constructor(
    readonly code: PackErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
