/**
 * scripts/lib/go-build-plan.sh sizes the BigQuery emulator's build from source to the memory
 * available: the fastest settings where memory is plentiful, frugal ones on a 4 GB laptop.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { ROOT } from "../support";

const lib = path.join(ROOT, "scripts", "lib", "go-build-plan.sh");
const GB = 1024 * 1024; // in kB

function sh(script: string, env: Record<string, string> = {}): string {
  return execFileSync("bash", ["-c", `. "${lib}"; ${script}`], {
    encoding: "utf8",
    env: { ...process.env, ...env },
  }).trim();
}

/** The plan for AVAILABLE kB and CORES: jobs, compiler GOGC, whether frugal. */
function plan(availableKb: number, cores: number) {
  const [jobs, gogc, frugal] = sh(`go_build_plan ${availableKb} ${cores}`).split(" ");
  return { jobs: Number(jobs), gogc: Number(gogc), frugal };
}

/** The measured peak (MB) of the largest build process under a plan's settings. */
const peakMb = (gogc: number) => Number(sh(`echo $GO_PEAK_MB_${gogc === 100 ? "DEFAULT" : "FRUGAL"}`));

test("plenty of memory: the defaults, one package per core (a CI runner stays fast)", () => {
  expect(plan(32 * GB, 2)).toEqual({ jobs: 2, gogc: 100, frugal: "no" });
  expect(plan(64 * GB, 4)).toEqual({ jobs: 4, gogc: 100, frugal: "no" });
});

test("never more jobs than cores, nor than the memory holds at the measured peak", () => {
  expect(plan(64 * GB, 2).jobs).toBe(2);
  const { jobs, gogc } = plan(16 * GB, 8);
  expect(jobs).toBe(2);
  expect(jobs * peakMb(gogc)).toBeLessThanOrEqual(16 * 1024);
});

test("room for one default-sized job: one package at a time", () => {
  expect(plan(8 * GB, 2)).toEqual({ jobs: 1, gogc: 100, frugal: "no" });
});

test("a 4 GB machine: one package at a time, frugal, within its memory", () => {
  for (const available of [2.5 * GB, 3 * GB, 3.5 * GB, 6 * GB]) {
    const p = plan(Math.round(available), 2);
    expect(p).toEqual({ jobs: 1, gogc: 25, frugal: "yes" });
  }
  expect(peakMb(25)).toBeLessThan(4 * 1024);
});

test("frugal flags: one function at a time, no inlining in the biggest package; always stripped", () => {
  expect(sh("go_build_flags 1 yes").split("\n")).toEqual([
    "-p",
    "1",
    "-trimpath",
    "-ldflags",
    "-s -w",
    "-gcflags",
    "all=-c=1",
    "-gcflags",
    "github.com/goccy/go-googlesql=-c=1 -l",
  ]);
  expect(sh("go_build_flags 2 no").split("\n")).toEqual(["-p", "2", "-trimpath", "-ldflags", "-s -w"]);
});

test("FRESH_STREAMS_BUILD_MEMORY_MB names the memory instead of the machine's", () => {
  expect(sh("available_memory_kb", { FRESH_STREAMS_BUILD_MEMORY_MB: "3500" })).toBe(String(3500 * 1024));
  const measured = Number(sh("available_memory_kb", { FRESH_STREAMS_BUILD_MEMORY_MB: "" }));
  expect(measured).toBeGreaterThan(0);
});
