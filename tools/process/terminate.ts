import { ChildProcess } from "node:child_process";

/**
 * Stops a child process by its PID: SIGTERM, then SIGKILL if it has not exited after `graceMs`.
 * `exited` resolves when the child has exited. Does nothing if it already has.
 */
export async function terminate(child: ChildProcess, exited: Promise<unknown>, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const done = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
  ]);
  clearTimeout(timer);
  if (!done) {
    child.kill("SIGKILL");
    await exited;
  }
}

/** Watches a child for its end: `exited` resolves on exit or spawn error; `info()` says how it ended (undefined while running). */
export function watchExit(child: ChildProcess): { exited: Promise<void>; info: () => string | undefined } {
  let info: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      info = `code ${code}, signal ${signal}`;
      resolve();
    });
    child.once("error", (error) => {
      info = error.message;
      resolve();
    });
  });
  return { exited, info: () => info };
}

/**
 * The command-line form of a launcher: once `started` resolves, prints `describe(it)` (e.g. the
 * environment variables that point clients at it) and stops it on SIGINT/SIGTERM; exits 1 with
 * the error's message when it fails to start.
 */
export function serveUntilSignalled<T extends { stop(): Promise<void> }>(
  started: Promise<T>,
  describe: (running: T) => string,
): void {
  started.then(
    (running) => {
      process.stdout.write(describe(running));
      const shutdown = () => void running.stop().then(() => process.exit(0));
      process.on("SIGINT", shutdown);
      process.on("SIGTERM", shutdown);
    },
    (error: Error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    },
  );
}
