/**
 * The texts of an alert: its catalogue entry's templates filled in (`{{name}}` placeholders), and the
 * runbook every policy carries as its documentation. Private to the library; docs/alerts.md renders the
 * same runbooks (tools/docs/sections/alerts.ts).
 */
import type { AlertDefinition } from "./alert-catalogue";

/** The policy documentation's limit (AlertPolicy.Documentation.content). */
const MAX_DOCUMENTATION = 8192;

/** `template` with each `{{name}}` replaced by `values[name]`; a name without a value throws, naming `where`. */
export function fillTemplate(template: string, values: Readonly<Record<string, string | number>>, where: string) {
  return template.replace(/\{\{([A-Za-z0-9_]+)\}\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`${where}: placeholder {{${name}}} has no value in "${template}"`);
    return String(values[name]);
  });
}

/** The meaning and the first three checks of an alert, in the application's words or else the entry's own. */
export function runbookTexts(
  definition: AlertDefinition,
  words: Readonly<Record<string, string>> = {},
  where = `alert ${definition.id}`,
): { meaning: string; firstChecks: string[] } {
  const values = { ...(definition.words ?? {}) };
  for (const name of Object.keys(values)) if (words[name] !== undefined) values[name] = words[name];
  return {
    meaning: fillTemplate(definition.meaning, values, where),
    firstChecks: definition.firstChecks.map((check) => fillTemplate(check, values, where)),
  };
}

/** Options of {@link runbook}. */
export interface RunbookOptions {
  /** The alert. */
  readonly definition: AlertDefinition;
  /** The application's words for its runbook placeholders. */
  readonly words?: Readonly<Record<string, string>>;
  /** The threshold shown. */
  readonly threshold: number;
  /** How long the condition must hold, in seconds. */
  readonly durationSeconds: number;
  /** What the condition reads: metric types or PromQL queries. */
  readonly sources: readonly string[];
  /**
   * Who asks, for errors (a construct path).
   * @default - the alert id
   */
  readonly where?: string;
}

/** The policy's documentation: a short runbook. */
export function runbook(options: RunbookOptions): string {
  const { definition, threshold, durationSeconds, sources } = options;
  const { meaning, firstChecks } = runbookTexts(definition, options.words, options.where);
  const held = durationSeconds > 0 ? ` for ${durationSeconds / 60} min` : "";
  const text = [
    `**What it means.** ${meaning}`,
    "",
    `**Threshold.** ${threshold} ${definition.unit}${held}. Severity ${definition.severity.toLowerCase()}.`,
    "",
    "**First three things to check.**",
    ...firstChecks.map((check, i) => `${i + 1}. ${check}`),
    "",
    `Alert \`${definition.id}\` (docs/alerts.md); ${sources.length > 1 ? "sources" : "source"}: ${sources.map((m) => `\`${m}\``).join(", ")}.`,
  ].join("\n");
  if (text.length > MAX_DOCUMENTATION)
    throw new Error(`alert ${definition.id}: documentation exceeds ${MAX_DOCUMENTATION} characters`);
  return text;
}
