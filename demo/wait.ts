/** The demo's progress lines (stderr) and its polling waits. */

const started = Date.now();

/** One progress line on stderr, with the seconds since the demo started. */
export function progress(message: string): void {
  process.stderr.write(`[demo ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}\n`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `done` returns true or the deadline passes; `describe` explains a timeout. */
export async function waitFor(
  what: string,
  timeoutMs: number,
  done: () => Promise<boolean>,
  describe: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} (${describe()})`);
    await sleep(250);
  }
}
