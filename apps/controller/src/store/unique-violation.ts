/** One place that recognises a unique-constraint violation, for every store module's insert-once paths. */

/**
 * True for prisma's P2002. With `driverMessage`, also for the driver's own "unique constraint" error, which is what
 * a raw partial unique index (e.g. one open job per line) can surface as instead.
 */
export function isUniqueViolation(e: unknown, opts: { driverMessage?: boolean } = {}): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { code?: unknown; message?: unknown };
  if (err.code === 'P2002') return true;
  return opts.driverMessage === true && typeof err.message === 'string' && /unique constraint/i.test(err.message);
}
