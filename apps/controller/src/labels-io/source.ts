/** Where an import's files come from: an uploaded zip or a folder below the import root, listed the same way. */

export interface SourceEntry {
  /** Relative, '/'-separated, checked by assertSafeRelative. */
  path: string;
  /** Uncompressed bytes. */
  size: number;
}

export interface ImportSource {
  readonly entries: readonly SourceEntry[];
  /** The entry's bytes (one file in memory at a time: callers read, store, and drop them). */
  read(path: string): Promise<Buffer>;
  close(): Promise<void>;
}

export interface SourceLimits {
  maxEntries: number;
  maxTotalBytes: number;
}
