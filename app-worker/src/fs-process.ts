/**
 * Filesystem calls in a helper process, each with a timeout.
 *
 * Node cannot cancel a call blocked in the kernel (a hanging Cloud Storage FUSE mount): it keeps
 * a libuv thread, and a process with a blocked thread cannot even exit (libuv joins its threads
 * at exit). So the checkpoint and the dead-letter sink make their calls in a child process: a
 * blocked call holds the child, never the worker, which stops it with SIGKILL when it exits.
 * While a timed-out call is still blocked, later calls fail at once instead of piling up.
 *
 * Run as a script, this file is the helper: it answers `{ id, op, args }` messages over IPC.
 */
import { ChildProcess, fork } from "node:child_process";
import * as fs from "node:fs";

/** The operations the helper performs (paths and strings only: they cross a process boundary). */
export interface FsOps {
  readFile(file: string): Promise<string>;
  mkdir(folder: string, recursive: boolean): Promise<void>;
  /** Creates or truncates `file`, writes `body` and fsyncs it. */
  writeSynced(file: string, body: string, exclusive: boolean): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
  rmdir(folder: string): Promise<void>;
  /** mtime in ms. */
  mtime(file: string): Promise<number>;
}

/** An error of the helper's call, with the errno code (ENOENT, EEXIST…) when there is one. */
export class FsCallError extends Error {
  constructor(
    message: string,
    public readonly code?: string,
  ) {
    super(message);
    this.name = "FsCallError";
  }
}

/** A call that took longer than its timeout, or refused because an earlier one is still blocked. */
export class FsTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FsTimeoutError";
  }
}

const ops: FsOps = {
  readFile: (file) => fs.promises.readFile(file, "utf8"),
  mkdir: async (folder, recursive) => {
    await fs.promises.mkdir(folder, { recursive });
  },
  writeSynced: async (file, body, exclusive) => {
    const handle = await fs.promises.open(file, exclusive ? "wx" : "w");
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => fs.promises.rename(from, to),
  unlink: (file) => fs.promises.unlink(file),
  rmdir: (folder) => fs.promises.rmdir(folder),
  mtime: async (file) => (await fs.promises.stat(file)).mtimeMs,
};

interface Request {
  id: number;
  op: keyof FsOps;
  args: unknown[];
}
interface Reply {
  id: number;
  value?: unknown;
  error?: { message: string; code?: string };
}

/** The worker's side: runs {@link FsOps} in the helper process with a timeout per call. */
export class FsProcess {
  private child: { process: ChildProcess; ready: Promise<void> } | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  private blocked: { what: string; since: number; id: number } | undefined;

  constructor(private readonly timeoutMs: number) {}

  /** Runs one operation; `what` names it in errors. */
  call<K extends keyof FsOps>(
    what: string,
    op: K,
    ...args: Parameters<FsOps[K]>
  ): Promise<Awaited<ReturnType<FsOps[K]>>> {
    if (this.blocked) {
      return Promise.reject(
        new FsTimeoutError(
          `${what}: an earlier filesystem call (${this.blocked.what}) has been blocked for ${Date.now() - this.blocked.since} ms`,
        ),
      );
    }
    const { child, ready } = this.start();
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        if (this.blocked?.id === id) this.blocked = undefined;
        if (reply.error) reject(new FsCallError(`${what}: ${reply.error.message}`, reply.error.code));
        else resolve(reply.value as Awaited<ReturnType<FsOps[K]>>);
      });
      this.keepAlive();
      // The clock starts once the helper is up (its start-up is not a filesystem call).
      void ready.then(() => {
        if (!this.pending.has(id)) return;
        const started = Date.now();
        timer = setTimeout(() => {
          // Still pending in the helper: everything waits behind it until it answers.
          this.blocked = { what, since: started, id };
          this.keepAlive();
          reject(new FsTimeoutError(`${what}: no answer within ${this.timeoutMs} ms (CHECKPOINT_TIMEOUT_MS)`));
        }, this.timeoutMs);
        child.send({ id, op, args } satisfies Request);
      });
    });
  }

  /** Stops the helper: at once, even when a call is blocked in it. */
  close(): void {
    const child = this.child;
    this.child = undefined;
    this.blocked = undefined;
    this.failPending("the filesystem helper was stopped");
    if (!child) return;
    child.process.kill("SIGKILL");
    child.process.unref();
    child.process.channel?.unref();
  }

  private failPending(message: string): void {
    const pending = [...this.pending];
    this.pending.clear();
    for (const [id, settle] of pending) settle({ id, error: { message } });
  }

  /** The IPC channel keeps the worker alive only while a call waits for its answer (not once it timed out). */
  private keepAlive(): void {
    const waiting = this.pending.size > (this.blocked && this.pending.has(this.blocked.id) ? 1 : 0);
    if (waiting) this.child?.process.channel?.ref();
    else this.child?.process.channel?.unref();
  }

  private start(): { child: ChildProcess; ready: Promise<void> } {
    if (this.child) return { child: this.child.process, ready: this.child.ready };
    // Under tsx (`node --import tsx`, tests) the helper is this TypeScript file; in the image, JavaScript.
    const ts = __filename.endsWith(".ts");
    const child = fork(__filename, ["--fs-helper"], {
      execArgv: ts ? ["--import", "tsx"] : [],
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      serialization: "json",
    });
    let isReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (isReady = resolve));
    child.on("message", (reply: Reply | { ready: true }) => {
      if ("ready" in reply) return isReady();
      const settle = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      settle?.(reply);
      this.keepAlive();
    });
    child.on("exit", () => {
      if (this.child?.process !== child) return;
      this.child = undefined;
      this.blocked = undefined;
      this.failPending("the filesystem helper stopped");
    });
    // The helper never keeps the worker alive on its own.
    child.unref();
    child.channel?.unref();
    this.child = { process: child, ready };
    return { child, ready };
  }
}

if (require.main === module && process.argv.includes("--fs-helper")) {
  process.on("message", (request: Request) => {
    const run = (ops[request.op] as (...args: unknown[]) => Promise<unknown>)(...request.args);
    run.then(
      (value) => process.send?.({ id: request.id, value } satisfies Reply),
      (error: NodeJS.ErrnoException) =>
        process.send?.({ id: request.id, error: { message: error.message, code: error.code } } satisfies Reply),
    );
  });
  // The worker went away: so does the helper.
  process.on("disconnect", () => process.exit(0));
  process.send?.({ ready: true });
}
