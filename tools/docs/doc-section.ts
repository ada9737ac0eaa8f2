/**
 * One generated part of a reference page: `npm run docs` (tools/docs/generate.ts) replaces the text between
 *
 *     <!-- generated:begin NAME -->
 *     <!-- generated:end NAME -->
 *
 * in `file` with `render()`, and test/docs/generated.test.ts fails when the committed page differs. Every module
 * under tools/docs/sections/ exports `SECTIONS: DocSection[]`; the generator loads them all.
 */
export interface DocSection {
  /** The page, relative to the repository root, e.g. `docs/alerts.md`. */
  readonly file: string;
  /** The marker name, unique within the page, e.g. `alert-catalogue`. */
  readonly name: string;
  /** The Markdown between the markers (without them), generated from the code. */
  render(): string;
}
