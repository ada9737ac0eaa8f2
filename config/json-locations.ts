/**
 * Where each value of a JSON text sits, by its path (`elt.stagingSchedule`, `monitoring.notificationEmails.0`):
 * config errors point at a line and column of the file, as an editor would. The text is assumed to be
 * valid JSON (it has parsed); {@link positionOfJsonError} reads the position out of a parse error.
 */

/** A 1-based line and column. */
export interface TextLocation {
  readonly line: number;
  readonly column: number;
}

/** The line and column of a character offset in `text`. */
export function locationOfOffset(text: string, offset: number): TextLocation {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split("\n");
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/**
 * The location of a `JSON.parse` error in `text`: Node.js reports either a character position
 * ("at position 123") or, in newer versions, "(line 3 column 5)". Undefined when the message has neither.
 */
export function positionOfJsonError(text: string, message: string): TextLocation | undefined {
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn) return { line: Number(lineColumn[1]), column: Number(lineColumn[2]) };
  const position = /at position (\d+)/.exec(message);
  if (position) return locationOfOffset(text, Number(position[1]));
  if (/Unexpected end of JSON input/.test(message)) return locationOfOffset(text, text.length);
  return undefined;
}

/** Maps every value's path in a valid JSON text to the location where the value starts (keys: where the key starts). */
export function jsonLocations(text: string): Map<string, TextLocation> {
  const locations = new Map<string, TextLocation>();
  let i = 0;
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const readString = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string[]): void => {
    skipSpace();
    locations.set(path.join("."), locationOfOffset(text, i));
    const c = text[i];
    if (c === "{") {
      i++;
      for (skipSpace(); text[i] !== "}"; skipSpace()) {
        if (text[i] === ",") i++;
        skipSpace();
        const keyAt = i;
        const key = readString();
        locations.set([...path, key].join(".") + ":key", locationOfOffset(text, keyAt));
        skipSpace();
        i++; // the colon
        value([...path, key]);
      }
      i++;
    } else if (c === "[") {
      i++;
      for (let index = 0; skipSpace(), text[i] !== "]"; index++) {
        if (text[i] === ",") i++;
        value([...path, String(index)]);
      }
      i++;
    } else if (c === '"') {
      readString();
    } else {
      while (i < text.length && /[-+.\w]/.test(text[i])) i++;
    }
  };
  value([]);
  return locations;
}
