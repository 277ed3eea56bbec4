import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A file that cannot be written because one is there already and `--force` was not given. */
export class FileExistsError extends Error {
  override readonly name = 'FileExistsError';
  constructor(readonly path: string) {
    super(`${path} exists: add --force to replace it`);
  }
}

/** Throws `FileExistsError` when `path` exists and may not be replaced: checked before the work, as the final step checks again. */
export function checkWritable(path: string, force: boolean): void {
  if (!force && existsSync(path)) throw new FileExistsError(path);
}

/**
 * Writes `path` as a whole or not at all, readable by its owner only (mode 0600: it holds
 * password hashes, perhaps private keys): `write` fills an empty temporary file beside it,
 * created with that mode, which then takes the name `path`. Without `force` an existing
 * `path` is left untouched (a hard link, which fails rather than replaces); with it, replaced
 * atomically. The temporary file is removed whatever happens.
 */
export async function writePrivateFile(path: string, force: boolean, write: (temporary: string, handle: FileHandle) => Promise<void>): Promise<void> {
  checkWritable(path, force);
  const folder = dirname(path);
  const temporary = join(folder, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', 0o600);
  try {
    try {
      await write(temporary, handle);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (force) {
      await rename(temporary, path);
    } else {
      await link(temporary, path).catch((error: unknown) => {
        throw (error as NodeJS.ErrnoException).code === 'EEXIST' ? new FileExistsError(path) : error;
      });
    }
    await syncFolder(folder);
  } finally {
    await rm(temporary, { force: true });
  }
}

// The new name is durable only once the folder holding it is on disk.
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
