/**
 * `npm run sql:check [env...]`: analyzes with ZetaSQL every SQL statement the given
 * environments (default: every config/*.json) deploy, and prints one line per statement
 * with the time it took. Exits 1 when any statement is rejected.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ZetaSqlAnalyzer } from "./analyzer";
import { deployedSql, SCHEDULED_QUERY_PARAMETERS } from "./deployed-sql";

async function main(): Promise<number> {
  const configDir = path.join(__dirname, "..", "..", "config");
  const names = process.argv.slice(2).length
    ? process.argv.slice(2)
    : fs
        .readdirSync(configDir)
        .filter((f) => f.endsWith(".json"))
        .map((f) => f.replace(/\.json$/, ""));
  const started = Date.now();
  const analyzer = await ZetaSqlAnalyzer.start();
  console.log(`ZetaSQL server ready on 127.0.0.1:${analyzer.port} in ${Date.now() - started} ms`);
  let failures = 0;
  try {
    for (const name of names) {
      const { statements, catalog } = deployedSql(name, configDir);
      await analyzer.setCatalog(catalog);
      for (const { what, sql } of statements) {
        const t0 = Date.now();
        const result = await analyzer.analyze(sql, SCHEDULED_QUERY_PARAMETERS);
        const ms = Date.now() - t0;
        if (result.ok) console.log(`ok   ${name}: ${what} (${ms} ms)`);
        else {
          failures++;
          console.log(`FAIL ${name}: ${what} (${ms} ms)\n${result.error}`);
        }
      }
    }
  } finally {
    await analyzer.stop();
  }
  console.log(
    `${failures ? `${failures} statement(s) rejected` : "every statement analyzes"}; ${Date.now() - started} ms in all`,
  );
  return failures ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.message);
    process.exit(1);
  },
);
