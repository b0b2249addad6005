// errno numbers by name, from Node's table for this platform (os.constants.errno): no module writes a bare
// number or keeps a table of its own.
import { constants } from 'node:os';

const BY_NAME = constants.errno as Record<string, number>;

export const { EACCES, ECHILD, EINTR, ENOENT, ENOEXEC, ENOTDIR, ESRCH, ETXTBSY } = constants.errno;

/** The errno of one of Node's system errors (error.code 'ENOENT' -> 2); -1 when it carries none. */
export function errnoOf(error: unknown): number {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return (code !== undefined ? BY_NAME[code] : undefined) ?? -1;
}
