/**
 * Defect classes: each line's taxonomy (name, colour, shortcut key), and the palette index each class has in
 * indexed-colour mask PNGs. Indices run 1–254 (0 = background, 255 = a stroke painted without a class); a class gets
 * the lowest free one on its line. Names, keys, colours and indices are unique per line (unique indexes).
 */
import type { Db } from './db.js';
import { isUniqueViolation } from './unique-violation.js';

export interface DefectClassRow {
  id: string;
  line: string;
  name: string;
  /** '#rrggbb', lower case. */
  color: string;
  /** One digit 1–9, or null (no shortcut). */
  key: string | null;
  paletteIndex: number;
  createdAt: Date;
  updatedAt: Date;
}

export type NewDefectClass = Omit<DefectClassRow, 'paletteIndex' | 'updatedAt'>;
export type DefectClassPatch = Partial<Pick<DefectClassRow, 'name' | 'color' | 'key'>> & { updatedAt: Date };

/** The lowest and highest palette index a class can have. */
export const FIRST_CLASS_INDEX = 1;
export const LAST_CLASS_INDEX = 254;
/** Palette index of a mask stroke painted without a class ("anomalous, unclassified"). */
export const UNCLASSIFIED_INDEX = 255;

/** What stopped a write: a unique field already taken on the line, or no palette index left. */
export type ClassWriteRefusal = 'taken' | 'full';

export class ClassesStore {
  constructor(private readonly db: Db) {}

  /** A line's classes in palette order. */
  list(line: string): Promise<DefectClassRow[]> {
    return this.db.defectClass.findMany({ where: { line }, orderBy: { paletteIndex: 'asc' } });
  }

  /** The classes of these lines (all lines when undefined), in line then palette order. */
  listForLines(lines?: string[]): Promise<DefectClassRow[]> {
    return this.db.defectClass.findMany({
      where: lines ? { line: { in: lines } } : {},
      orderBy: [{ line: 'asc' }, { paletteIndex: 'asc' }],
    });
  }

  get(id: string): Promise<DefectClassRow | null> {
    return this.db.defectClass.findUnique({ where: { id } });
  }

  /**
   * Creates the class with the lowest free palette index. A unique violation is retried once with a fresh index
   * (two admins creating at once); a second one means a name, key or colour is taken.
   */
  async create(c: NewDefectClass): Promise<DefectClassRow | ClassWriteRefusal> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const used = new Set((await this.list(c.line)).map((r) => r.paletteIndex));
      let paletteIndex = FIRST_CLASS_INDEX;
      while (used.has(paletteIndex)) paletteIndex++;
      if (paletteIndex > LAST_CLASS_INDEX) return 'full';
      try {
        return await this.db.defectClass.create({ data: { ...c, paletteIndex, updatedAt: c.createdAt } });
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
      }
    }
    return 'taken';
  }

  /** Null when the class does not exist; 'taken' when the new name, key or colour is another class's. */
  async update(id: string, patch: DefectClassPatch): Promise<DefectClassRow | null | 'taken'> {
    try {
      const { count } = await this.db.defectClass.updateMany({ where: { id }, data: patch });
      return count === 0 ? null : this.get(id);
    } catch (e) {
      if (isUniqueViolation(e)) return 'taken';
      throw e;
    }
  }

  async delete(id: string): Promise<boolean> {
    const { count } = await this.db.defectClass.deleteMany({ where: { id } });
    return count > 0;
  }

  /** How many confirmations name the class and how many saved masks paint it (a used class is not deleted). */
  async usage(id: string): Promise<{ confirmations: number; masks: number }> {
    const [confirmations, masks] = await Promise.all([
      this.db.event.count({ where: { defectClassId: id } }),
      this.db.maskClass.count({ where: { classId: id } }),
    ]);
    return { confirmations, masks };
  }
}
