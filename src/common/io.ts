// Where a command's own output goes: stdout for what the user asked to see (--dry-run, status), stderr for the
// one line of a usage error. The process's streams when memshim runs; a recorder when tests call main() in-process.
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** process.stdout is created at its first write only: a start that prints nothing never creates it. */
export const PROCESS_IO: Io = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};
