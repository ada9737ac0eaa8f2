/**
 * Runs the real app-worker as a child process (exactly what `npm run worker` execs: one node process,
 * so SIGTERM reaches the worker itself) and reads its Prometheus metrics to know when every replayed
 * event has been received and published.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { terminate } from "../tools/process/terminate";

const ROOT = path.resolve(__dirname, "..");

export interface WorkerCounts {
  received: number;
  published: number;
  failed: number;
  dropped: number;
  /** `dropped` by reason (canary, malformed). */
  droppedBy: Record<string, number>;
  /** Rows a direct sink wrote to the error table instead (BigQuery refused them); 0 with Pub/Sub. */
  refused: number;
  inFlight: number;
}

/** Whether the worker has settled every event it received: written, refused or dropped, none in flight. */
export function allHandled(counts: WorkerCounts | undefined, atLeast = 0): boolean {
  return (
    counts !== undefined &&
    counts.received >= atLeast &&
    counts.published + counts.dropped + counts.refused >= counts.received &&
    counts.inFlight === 0
  );
}

export interface WorkerProcess {
  readonly pid: number;
  /** Current counters from /metrics (undefined while the server is not up yet). */
  counts(): Promise<WorkerCounts | undefined>;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM (graceful: flush, checkpoint, exit 0), then SIGKILL after the deadline. */
  stop(deadlineMs?: number): Promise<number | null>;
}

/** Sum of every sample of a metric (all label sets), whatever its name prefix. */
export function metricSum(text: string, suffix: string): number {
  const pattern = new RegExp(`^[a-zA-Z_:]*${suffix}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, "gm");
  let total = 0;
  for (const match of text.matchAll(pattern)) total += Number(match[1]);
  return total;
}

/** A metric's samples summed per value of one label. */
export function metricByLabel(text: string, suffix: string, label: string): Record<string, number> {
  const pattern = new RegExp(`^[a-zA-Z_:]*${suffix}\\{([^}]*)\\} ([0-9.eE+-]+)$`, "gm");
  const totals: Record<string, number> = {};
  for (const match of text.matchAll(pattern)) {
    const value = new RegExp(`${label}="([^"]*)"`).exec(match[1])?.[1] ?? "";
    totals[value] = (totals[value] ?? 0) + Number(match[2]);
  }
  return totals;
}

export function startWorker(
  env: Record<string, string>,
  metricsPort: number,
  logFile: number | "ignore",
): WorkerProcess {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "app-worker/src/main.ts")], {
    cwd: ROOT,
    env: { ...process.env, ...env, METRICS_PORT: String(metricsPort) },
    stdio: ["ignore", logFile, logFile],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    pid: child.pid as number,
    exited,
    async counts() {
      try {
        const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(2000) });
        if (!response.ok) return undefined;
        const text = await response.text();
        return {
          received: metricSum(text, "events_received_total"),
          published: metricSum(text, "events_published_total"),
          failed: metricSum(text, "events_failed_total"),
          dropped: metricSum(text, "events_dropped_total"),
          droppedBy: metricByLabel(text, "events_dropped_total", "reason"),
          refused: metricSum(text, "sink_rows_refused_total"),
          inFlight: metricSum(text, "in_flight_messages"),
        };
      } catch {
        return undefined;
      }
    },
    async stop(deadlineMs = 15_000) {
      await terminate(child, exited, deadlineMs);
      return exited;
    },
  };
}
