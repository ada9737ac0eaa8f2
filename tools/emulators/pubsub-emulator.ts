/**
 * Starts and stops the Google Cloud Pub/Sub emulator for tests, benchmarks and the demo.
 *
 * It runs the SDK's own launcher (`platform/pubsub-emulator/bin/cloud-pubsub-emulator`), which
 * `exec`s the JVM: the PID we hold is the JVM's, so one signal stops it. (The
 * `gcloud beta emulators pubsub start` wrapper leaves the JVM running when it is killed.)
 *
 * Facts worth knowing when writing tests against it:
 * - names (topics, subscriptions) need at least 3 characters;
 * - a restart loses every topic, subscription and message;
 * - each streaming-pull stream delivers at most about 2,000 messages/s, so use many streams
 *   (`streamingOptions.maxStreams`) in subscribers that must keep up;
 * - filters and retry policies are stored but not applied.
 *
 * Command line: `npx tsx tools/emulators/pubsub-emulator.ts [--port N]` starts one, prints
 * `PUBSUB_EMULATOR_HOST=127.0.0.1:PORT` and keeps it running until SIGINT/SIGTERM.
 */
import { freePort } from "../process/free-port";
import { logTail } from "../process/log-tail";
import { serveUntilSignalled, terminate, watchExit } from "../process/terminate";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** Options of {@link startPubSubEmulator}. */
export interface PubSubEmulatorOptions {
  /**
   * Port to listen on (127.0.0.1 only).
   * @default - a free port chosen by the operating system
   */
  readonly port?: number;
  /**
   * How long to wait for `GET /` to answer `Ok`.
   * @default 60000
   */
  readonly readyTimeoutMs?: number;
  /**
   * File receiving the emulator's stdout and stderr.
   * @default - discarded
   */
  readonly logFile?: string;
  /**
   * Extra JVM options (e.g. `-Xmx512m`), passed through the launcher's `JAVA_OPTS`.
   * @default "-Xmx1g -XX:+UseSerialGC"
   */
  readonly javaOpts?: string;
}

/** A running emulator. */
export interface PubSubEmulator {
  /** `127.0.0.1:PORT`: the value of `PUBSUB_EMULATOR_HOST` for clients. */
  readonly host: string;
  readonly port: number;
  /** PID of the JVM (changes after {@link restart}). */
  readonly pid: number;
  /** Stops it (SIGTERM, then SIGKILL after 5 s). Idempotent. */
  stop(): Promise<void>;
  /** Starts it again on the same port after {@link stop} (everything it held is lost). */
  restart(): Promise<void>;
  /** Freezes the JVM (SIGSTOP): an outage that keeps its state, unlike stop/restart. */
  pause(): void;
  /** Thaws it after {@link pause} (SIGCONT). */
  resume(): void;
  /** Whether its JVM is running. */
  readonly running: boolean;
}

let launcherPath: string | undefined;

/** Path of the SDK's emulator launcher: `$PUBSUB_EMULATOR_BIN`, or found through `gcloud info`. */
export function pubSubEmulatorLauncher(): string {
  if (launcherPath) return launcherPath;
  const fromEnv = process.env.PUBSUB_EMULATOR_BIN;
  if (fromEnv) return (launcherPath = fromEnv);
  let sdkRoot: string;
  try {
    sdkRoot = execFileSync("gcloud", ["info", "--format=value(installation.sdk_root)"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 30_000,
    }).trim();
  } catch (error) {
    throw new Error(
      `cannot find the Pub/Sub emulator: "gcloud info" failed (${(error as Error).message}); install the Google Cloud CLI or set PUBSUB_EMULATOR_BIN`,
    );
  }
  const launcher = path.join(sdkRoot, "platform", "pubsub-emulator", "bin", "cloud-pubsub-emulator");
  if (!fs.existsSync(launcher)) {
    throw new Error(
      `cannot find the Pub/Sub emulator at ${launcher}: install the google-cloud-cli-pubsub-emulator package (or "gcloud components install pubsub-emulator"), or set PUBSUB_EMULATOR_BIN`,
    );
  }
  return (launcherPath = launcher);
}

export { freePort } from "../process/free-port";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function answersOk(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    return response.ok && (await response.text()).trim() === "Ok";
  } catch {
    return false;
  }
}

/** Starts the emulator on 127.0.0.1 and resolves once it answers. */
export async function startPubSubEmulator(options: PubSubEmulatorOptions = {}): Promise<PubSubEmulator> {
  const launcher = pubSubEmulatorLauncher();
  const port = options.port ?? (await freePort());
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = async (): Promise<void> => {
    if (await answersOk(port))
      throw new Error(`port ${port} already has a Pub/Sub emulator answering; refusing to share it`);
    const out = options.logFile ? fs.openSync(options.logFile, "a") : "ignore";
    const proc = spawn(launcher, [`--host=127.0.0.1`, `--port=${port}`], {
      stdio: ["ignore", out, out],
      env: { ...process.env, JAVA_OPTS: options.javaOpts ?? process.env.JAVA_OPTS ?? "-Xmx1g -XX:+UseSerialGC" },
    });
    if (typeof out === "number") fs.closeSync(out);
    child = proc;
    const watch = watchExit(proc);
    exited = watch.exited;
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      if (watch.info() !== undefined)
        throw new Error(`the Pub/Sub emulator exited before it was ready (${watch.info()})${logTail(options.logFile)}`);
      if (await answersOk(port)) return;
      await sleep(100);
    }
    await stop();
    throw new Error(`the Pub/Sub emulator did not answer on 127.0.0.1:${port} within ${readyTimeoutMs} ms`);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGCONT"); // a paused JVM cannot handle SIGTERM
    await terminate(proc, exited);
  };

  await launch();
  return {
    host: `127.0.0.1:${port}`,
    port,
    get pid() {
      return child?.pid ?? -1;
    },
    get running() {
      return !!child && child.exitCode === null && child.signalCode === null;
    },
    stop,
    pause: () => {
      child?.kill("SIGSTOP");
    },
    resume: () => {
      child?.kill("SIGCONT");
    },
    restart: async () => {
      await stop();
      await launch();
    },
  };
}

if (require.main === module) {
  const portArg = process.argv.indexOf("--port");
  const port = portArg > 0 ? Number(process.argv[portArg + 1]) : undefined;
  serveUntilSignalled(startPubSubEmulator({ port }), (emulator) => `PUBSUB_EMULATOR_HOST=${emulator.host}\n`);
}
