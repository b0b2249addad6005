// memshim's JSON log lines (one object a line on stderr), picked out of what a test captured.

/** memshim's JSON log lines (stderr) with the given event; a line that starts with `{` and is not JSON fails the test. */
export function logEvents(stderr: string, event: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.event === event);
}

/** The JSON lines memshim logged among other output (a container's, a process killed mid-line): others are skipped. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}
