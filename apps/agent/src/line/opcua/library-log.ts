/**
 * node-opcua logs through process-wide functions straight to the console. Route them into the agent's logger (its
 * warnings at debug: they are about peers and certificates, chatty, and already answered with a status code) and
 * drop them while no server runs — e.g. its start-up note about RSA PKCS#1 v1.5 on Node 20, which only concerns
 * Basic128Rsa15, a policy this server does not offer.
 */
import { format } from 'node:util';
import { setErrorLogger, setWarningLogger } from 'node-opcua';
import type { Logger } from '../../log.js';

const sinks = new Set<Logger>();

function emit(level: 'debug' | 'warn', args: unknown[]): void {
  if (sinks.size === 0) return;
  const msg = `node-opcua: ${format(...args)}`.slice(0, 2000);
  for (const log of sinks) log(level, msg);
}

setWarningLogger((_context: unknown, ...args: unknown[]) => emit('debug', args));
setErrorLogger((_context: unknown, ...args: unknown[]) => emit('warn', args));

/** Sends node-opcua's messages to `log` until the returned function is called. */
export function routeLibraryLogs(log: Logger): () => void {
  const sink: Logger = (level, msg, details) => log(level, msg, details);
  sinks.add(sink);
  return () => void sinks.delete(sink);
}
