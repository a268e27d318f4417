/** Reading zips in tests: every file entry's bytes by name (small test archives only), and writing a folder out. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { ZipFile as ZipWriter } from 'yazl';

const fromBuffer = promisify<Buffer, yauzl.Options, ZipFile>(yauzl.fromBuffer);

export async function readZip(bytes: Buffer): Promise<Map<string, Buffer>> {
  const zip = await fromBuffer(bytes, { lazyEntries: true });
  const out = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (e: Entry) => {
      zip.openReadStream(e, (err, s) => {
        if (err) return reject(err);
        const parts: Buffer[] = [];
        s.on('data', (b: Buffer) => parts.push(b));
        s.on('error', reject);
        s.on('end', () => {
          out.set(e.fileName, Buffer.concat(parts));
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
  return out;
}

/** Unpacks (directory entries become folders) below `dir`. */
export async function unpack(entries: Map<string, Buffer>, dir: string): Promise<void> {
  for (const [name, bytes] of entries) {
    if (name.endsWith('/')) await mkdir(join(dir, name), { recursive: true });
    else {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), bytes);
    }
  }
}

/** A zip of these files (names as given: yazl refuses unsafe names, so tests patch bytes for those). */
export async function writeZip(files: ReadonlyArray<[string, Uint8Array]>): Promise<Buffer> {
  const zip = new ZipWriter();
  for (const [name, bytes] of files) zip.addBuffer(Buffer.from(bytes), name);
  zip.end();
  const parts: Buffer[] = [];
  for await (const chunk of zip.outputStream) parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(parts);
}
