/**
 * Reads a replay fixture: a JSONL file (gzipped when its name ends in .gz) with one recentchange
 * event's `data` JSON per line.
 * Every line is checked before anything starts, so a bad file fails fast with its line number.
 */
import * as fs from "node:fs";
import * as zlib from "node:zlib";

/** A fixture that cannot be used; the message names the file and, where it applies, the line. */
export class FixtureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FixtureError";
  }
}

/** The raw lines of a fixture (the SSE `data` payloads), validated as JSON objects. */
export function readFixture(file: string): string[] {
  let text: string;
  try {
    const bytes = fs.readFileSync(file);
    text = (file.endsWith(".gz") ? zlib.gunzipSync(bytes) : bytes).toString("utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EACCES"
          ? "permission denied"
          : code === "EISDIR"
            ? "it is a directory"
            : (error as Error).message;
    throw new FixtureError(`cannot read fixture ${file}: ${why}`);
  }
  const lines: string[] = [];
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new FixtureError(`fixture ${file}, line ${index + 1}: not JSON (${(error as Error).message})`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new FixtureError(
        `fixture ${file}, line ${index + 1}: expected a JSON object (one event's data), got ${Array.isArray(parsed) ? "an array" : typeof parsed}`,
      );
    }
    lines.push(line);
  });
  if (lines.length === 0) throw new FixtureError(`fixture ${file} has no events`);
  return lines;
}
