import { Fn, Token } from "cdktf";

/** How cdktf encodes a token inside a string. */
const STRING_TOKEN = /\$\{TfToken\[TOKEN\.\d+\]\}/g;

/**
 * `value`, written so that `cdktf synth --hcl` prints valid HCL. cdktf 0.21 writes a one-line string
 * that mixes double quotes with a reference without escaping the quotes (`"a="${x.y}""`), which
 * Terraform cannot parse. Such a string becomes `format("<the literal, %s for each reference>",
 * references…)`, which both the JSON and the HCL synthesis render faithfully; any other string is
 * returned as it is. Not for literals with backslashes (cdktf mangles those inside `format` too):
 * write those as multi-line strings, which cdktf prints as heredocs.
 */
export function hclSafeString(value: string): string {
  if (!Token.isUnresolved(value) || !value.includes('"')) return value;
  const references = value.match(STRING_TOKEN) ?? [];
  const literal = value
    .split(STRING_TOKEN)
    .map((part) => part.replace(/%/g, "%%"))
    .join("%s");
  return Fn.format(Fn.rawString(literal), references);
}
