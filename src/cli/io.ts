/** Where the CLI reads and writes: a process's streams and environment, or a test's buffers. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Read only by commands that take a secret on stdin (`--password-stdin`). */
  readonly stdin: AsyncIterable<string | Uint8Array>;
  /** Settings are read from here, never from `process.env`, so that in-process calls do not share them. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Stops a command that runs until interrupted (`audit tail --follow`).
   * Without one, such a command stops on SIGINT/SIGTERM, as a process does.
   */
  readonly signal?: AbortSignal;
}

/** Writes `text` and a newline: console.log for a CliIo. */
export function writeLine(stream: CliIo['stdout'], text: string): void {
  stream.write(`${text}\n`);
}

/** The running process's streams and environment. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}
