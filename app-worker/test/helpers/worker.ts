/** Helpers for tests that run the worker against real parts (local SSE server, Pub/Sub emulator). */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import pino from "pino";
import { parseConfig, WorkerConfig } from "../../src/config";
import type { Worker } from "../../src/main";
import { PubSubEmulator, startPubSubEmulator } from "../../../tools/emulators/pubsub-emulator";
import { SseServer, SseServerOptions } from "../../../tools/sse/sse-server";
import { TEST_PROJECT, topicWithCollector } from "./pubsub";

export const REPO = path.resolve(__dirname, "../../..");
export const MAIN = path.join(REPO, "app-worker/src/main.ts");

/** The worker's variables for a test: fast backoff and checkpoints, quiet logs, START=live. */
export function workerEnv(
  emulatorHost: string,
  tmp: string,
  topic: string,
  sseUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PROJECT: TEST_PROJECT,
    TOPIC: topic,
    SSE_URL: sseUrl,
    CHECKPOINT_PATH: path.join(tmp, `${topic}.checkpoint.json`),
    METRICS_PORT: "0",
    PUBSUB_EMULATOR_HOST: emulatorHost,
    START: "live",
    BACKOFF_INITIAL_MS: "20",
    BACKOFF_MAX_MS: "200",
    CHECKPOINT_INTERVAL_MS: "100",
    LOG_LEVEL: "warn",
    ...extra,
  };
}

export function config(env: Record<string, string>): WorkerConfig {
  const parsed = parseConfig(env);
  if (!parsed.config) throw new Error(parsed.problems.join("\n"));
  return parsed.config;
}

export function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** Spawns `command args` with only PATH and HOME from this process, plus `env`; collects the output. */
export function spawnProcess(command: string, args: string[], env: Record<string, string>) {
  const child = spawn(command, args, {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  // Resolves with the exit code, or the signal's name when a signal ended the process (a failure then says which).
  const exited = new Promise<number | string | null>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? signal)),
  );
  return { child, exited, output: () => output };
}

/** The worker as a child process: `node --import tsx app-worker/src/main.ts`, what `npm run worker` execs. */
export function spawnWorker(env: Record<string, string>) {
  return spawnProcess(process.execPath, ["--import", "tsx", MAIN], env);
}

/** `promise`, or a rejection naming `what` after `ms`; the timer is cleared either way (no handle left behind). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `condition` every 20 ms until it holds; rejects naming `what` after `ms`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The end of an in-process worker run: waits (10 s at most) until the checkpoint file exists and `reached` holds
 * for it, reads `/metrics`, stops the worker and expects it to exit 0. Returns the metrics text.
 */
/**
 * Waits until the server has written no frame for `quietMs` (the reader has stopped and every buffer between them
 * is full) and returns the count at that point, or undefined if it never went quiet within `deadlineMs`.
 */
export async function framesStall(
  server: Pick<SseServer, "framesWritten">,
  { quietMs, deadlineMs }: { quietMs: number; deadlineMs: number },
): Promise<number | undefined> {
  const deadline = Date.now() + deadlineMs;
  let last = server.framesWritten;
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    if (server.framesWritten !== last) {
      last = server.framesWritten;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= quietMs) return last;
  }
  return undefined;
}

export async function stopAtCheckpoint(
  worker: Worker,
  run: Promise<number>,
  checkpointPath: string,
  reached: (checkpointPath: string) => boolean,
): Promise<string> {
  await waitFor(() => fs.existsSync(checkpointPath) && reached(checkpointPath), 10_000, "checkpoint");
  const metrics = await worker.metrics.registry.metrics();
  worker.stop();
  expect(await run).toBe(0);
  return metrics;
}

/** The value of one sample of `/metrics` text (0 when absent). */
export function metricValue(text: string, sample: string): number {
  const escaped = sample.replace(/[{}()[\]"\\.+*?^$|]/g, "\\$&");
  const match = new RegExp(`^${escaped} ([0-9.eE+-]+)$`, "m").exec(text);
  return match ? Number(match[1]) : 0;
}

/** Runs `body` with a local SSE server (the body starts it) and a collecting topic on the emulator; closes both after. */
export async function withSseServerAndTopic(
  emulatorHost: string,
  options: SseServerOptions,
  body: (parts: { server: SseServer; sub: Awaited<ReturnType<typeof topicWithCollector>> }) => Promise<void>,
): Promise<void> {
  const server = new SseServer(options);
  const sub = await topicWithCollector(emulatorHost);
  try {
    await body({ server, sub });
  } finally {
    await sub.close();
    await server.stop();
  }
}

/** Polls a worker's `/metrics` until `sample` reaches `atLeast`; resolves with the last scrape's text. */
export async function waitForMetric(port: number, sample: string, atLeast: number, ms: number): Promise<string> {
  let text = "";
  await waitFor(
    async () => {
      text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
        (r) => r.text(),
        () => "",
      );
      return metricValue(text, sample) >= atLeast;
    },
    ms,
    `${sample} >= ${atLeast}`,
  );
  return text;
}

/**
 * Starts the Pub/Sub emulator and makes a scratch folder (`fresh-streams-<name>-…`) before a test file's tests, hands
 * both to `use`, and stops the emulator and removes the folder after them.
 */
export function useEmulatorAndFolder(
  name: string,
  use: (emulator: PubSubEmulator, folder: string) => void = () => undefined,
): EmulatorAndFolder {
  let emulator: PubSubEmulator | undefined;
  let folder: string | undefined;
  beforeAll(async () => {
    emulator = await startPubSubEmulator();
    folder = fs.mkdtempSync(path.join(os.tmpdir(), `fresh-streams-${name}-`));
    use(emulator, folder);
  }, 90_000);
  afterAll(async () => {
    await emulator?.stop();
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });
  return {
    workerEnv: (topic, sseUrl, extra = {}) => workerEnv(emulator!.host, folder!, topic, sseUrl, extra),
    withSseServerAndTopic: (options, body) => withSseServerAndTopic(emulator!.host, options, body),
  };
}

/** {@link workerEnv} and {@link withSseServerAndTopic} bound to the file's emulator and folder. */
export interface EmulatorAndFolder {
  workerEnv(topic: string, sseUrl: string, extra?: Record<string, string>): Record<string, string>;
  withSseServerAndTopic(options: SseServerOptions, body: Parameters<typeof withSseServerAndTopic>[2]): Promise<void>;
}
