/** Minimal structured logger (JSON lines on stderr): the agent runs unattended, so logs must be machine-readable. */
export type Level = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: Level, msg: string, details?: Record<string, unknown>) => void;

const ORDER: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function createLogger(
  min: Level | 'silent',
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  return (level, msg, details) => {
    if (ORDER[level] < ORDER[min]) return;
    write(`${JSON.stringify({ t: new Date().toISOString(), level, msg, ...details })}\n`);
  };
}
