import * as fs from "node:fs";

/**
 * The last lines of a process's log, for an error message: the message carries them itself, since
 * the folder holding the log may be cleaned up before anyone reads it. "" when there is no log.
 */
export function logTail(file: string | undefined, lines = 15): string {
  if (!file) return "";
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8").trimEnd();
  } catch {
    return "";
  }
  return text ? `; the last lines of its log:\n${text.split("\n").slice(-lines).join("\n")}` : "; its log is empty";
}
