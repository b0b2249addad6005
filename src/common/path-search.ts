// Which file a command name runs: execvp's PATH search, in one place for the planner (which reads the program to
// learn its runtime) and for --exec (process.execve does not search PATH). No fallback to /bin/sh for a file
// that is not a program.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { EACCES, ENOENT } from './errno.js';

/** execvp's default when PATH is unset. */
export const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

/** execvp's lookup: the path (as given when it holds a slash), or the errno execvp would give (ENOENT, EACCES). */
export function resolveOnPath(command: string, path: string | undefined): { file: string } | { errno: number } {
  if (command.includes('/')) return { file: command };
  let sawDenied = false;
  for (const dir of (path ?? DEFAULT_PATH).split(delimiter)) {
    const file = join(dir || '.', command);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return { file };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EACCES') sawDenied = true;
    }
  }
  return { errno: sawDenied ? EACCES : ENOENT };
}
