/**
 * The class folders of an import → defect classes of the target line: a folder named like one of the line's classes
 * is that class; any other becomes a new class, created in the import's own transaction (so a failed import adds no
 * class either) with the lowest free palette index and a colour no class of the line has yet. `anomalous` stays
 * unclassified.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import { FIRST_CLASS_INDEX, LAST_CLASS_INDEX, type DefectClassRow } from '../store/classes-store.js';

/** Distinct first choices (Tableau 10 and two more), then colours derived from the name. */
const COLOURS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
  '#17becf',
  '#bcbd22',
];
const MAX_NAME = 64;

export interface ImportClasses {
  /** Class name → class id on the target line. */
  idOf: Map<string, string>;
  /** Classes to create with the import's rows. */
  created: DefectClassRow[];
}

function freeColour(name: string, used: Set<string>): string {
  for (const c of COLOURS) if (!used.has(c)) return c;
  for (let attempt = 0; ; attempt++) {
    const c = `#${createHash('sha256').update(`${name}:${attempt}`).digest('hex').slice(0, 6)}`;
    if (!used.has(c)) return c;
  }
}

function checkName(name: string): void {
  if (name.length > MAX_NAME || /[\u0000-\u001f]/.test(name))
    throw ctrlError('LW_CTRL_IMPORT_LAYOUT', `class folder ${JSON.stringify(name)} is not a valid class name`);
}

export async function importClasses(
  ctx: Ctx,
  line: string,
  names: Iterable<string>,
  now: Date,
): Promise<ImportClasses> {
  const existing = await ctx.store.classes.list(line);
  const idOf = new Map(existing.map((c) => [c.name, c.id]));
  const usedIndex = new Set(existing.map((c) => c.paletteIndex));
  const usedColour = new Set(existing.map((c) => c.color.toLowerCase()));
  const created: DefectClassRow[] = [];
  let index = FIRST_CLASS_INDEX;
  for (const name of [...new Set(names)].sort()) {
    if (idOf.has(name)) continue;
    checkName(name);
    while (usedIndex.has(index)) index++;
    if (index > LAST_CLASS_INDEX)
      throw ctrlError('LW_CTRL_IMPORT_LAYOUT', `line ${line} cannot take more classes (palette full at ${name})`);
    const color = freeColour(name, usedColour);
    const row = { id: randomUUID(), line, name, color, key: null, paletteIndex: index, createdAt: now, updatedAt: now };
    usedIndex.add(index);
    usedColour.add(color);
    idOf.set(name, row.id);
    created.push(row);
  }
  return { idOf, created };
}
