/**
 * Coded errors of `npm start` (the tools package's one catalogue): each says what to do, so a user who reads only
 * the last line of the terminal can fix the start.
 */
export const START_ERRORS = {
  LW_TOOLS_START_RUNNING: 'another `npm start` is running on this state folder',
  LW_TOOLS_START_LEFTOVERS: 'a previous `npm start` died and left its children running (they hold the ports and ids)',
  LW_TOOLS_START_PORT_IN_USE: 'a port `npm start` needs is taken by another program',
} as const;

export type StartErrorCode = keyof typeof START_ERRORS;

export class StartError extends Error {
  override readonly name = 'StartError';
  constructor(
    readonly code: StartErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(`${code}: ${message}`);
    Object.freeze(this.details);
  }
}
