/** The defect class a label action names, and the queue's class filter, checked against the event's line. */
import type { LabelBody } from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import type { EventRow } from '../store/types.js';

/** The queue's `defectClass` parameter: a class id, or `none` for confirmed events without any class. */
export function classFilter(param: string | undefined): string | null | undefined {
  return param === 'none' ? null : param;
}

/**
 * A confirmation's class: the named one when it belongs to the event's line (else LW_CTRL_CLASS_UNKNOWN), null when
 * none is named. A rejection clears the class (a false alarm has no defect class).
 */
export async function labelClass(
  ctx: Ctx,
  e: EventRow,
  action: 'confirm' | 'reject',
  body: LabelBody | undefined,
): Promise<string | null> {
  const id = body?.defectClassId ?? null;
  if (action === 'reject' || id === null) return null;
  const c = await ctx.store.classes.get(id);
  if (!c || c.line !== e.line) throw ctrlError('LW_CTRL_CLASS_UNKNOWN', `class ${id} is not one of line ${e.line}'s`);
  return c.id;
}
