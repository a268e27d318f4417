/** Label statistics per defect class: for each visible line, every class with its confirmations and masks. */
import type { ClassLabelStats } from '@linewatch/protocol/http';
import type { Store } from '../store/store.js';

export interface LineClassStats {
  unclassified: number;
  classes: ClassLabelStats[];
}

/** Per line: confirmations without a class, and each class (palette order, zeros included). */
export async function classStatsByLine(
  store: Store,
  lines: string[] | undefined,
): Promise<Map<string, LineClassStats>> {
  const [classes, counts] = await Promise.all([store.classes.listForLines(lines), store.events.classStats(lines)]);
  const confirmations = new Map<string | null, number>();
  const unclassified = new Map<string, number>();
  for (const r of counts.confirmations) {
    if (r.defectClassId === null) unclassified.set(r.line, (unclassified.get(r.line) ?? 0) + r.count);
    else confirmations.set(r.defectClassId, (confirmations.get(r.defectClassId) ?? 0) + r.count);
  }
  const masks = new Map(counts.masks.map((m) => [m.classId, m.count]));
  const out = new Map<string, LineClassStats>();
  const forLine = (line: string): LineClassStats => {
    const s = out.get(line) ?? { unclassified: unclassified.get(line) ?? 0, classes: [] };
    out.set(line, s);
    return s;
  };
  for (const line of unclassified.keys()) forLine(line);
  for (const c of classes) {
    forLine(c.line).classes.push({
      classId: c.id,
      name: c.name,
      color: c.color,
      confirmations: confirmations.get(c.id) ?? 0,
      masks: masks.get(c.id) ?? 0,
    });
  }
  return out;
}
