/**
 * The SQL text with string literals, quoted identifiers and comments blanked out (same
 * length), so a search for keywords, `dt` or `?` only sees code.
 */
export function codeOnly(sql: string): string {
  let out = "";
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === "`") {
      const start = i;
      i++;
      while (i < sql.length && !(sql[i] === c && sql[i + 1] !== c)) i += sql[i] === c ? 2 : 1;
      i++;
      out += c === "'" ? `'${" ".repeat(Math.max(0, i - start - 2))}'` : sql.slice(start, i);
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end < 0 ? sql.length : end;
      out += " ".repeat(stop - i);
      i = stop;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      const stop = end < 0 ? sql.length : end + 2;
      out += " ".repeat(stop - i);
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  return out.slice(0, sql.length);
}

/** Offsets of the positional `?` placeholders outside literals and comments. */
export function placeholders(sql: string): number[] {
  const code = codeOnly(sql);
  const out: number[] = [];
  for (let i = 0; i < code.length; i++) if (code[i] === "?") out.push(i);
  return out;
}

const CLAUSE = /\b(select|from|where|group\s+by|order\s+by|having|limit|offset|on|join|over|partition\s+by)\b/gi;

/**
 * The clause each placeholder sits in (`where`, `select`, `limit`...): Athena accepts
 * execution parameters only in WHERE clauses, so named queries keep every `?` there.
 */
export function placeholderClauses(sql: string): string[] {
  const code = codeOnly(sql);
  return placeholders(sql).map((at) => {
    let last = "none";
    for (const m of code.slice(0, at).matchAll(CLAUSE)) last = m[1]!.toLowerCase().replaceAll(/\s+/g, " ");
    return last;
  });
}

/**
 * True when the SQL restricts the `dt` partition column (`dt = …`, `dt BETWEEN …`, `dt >= …`,
 * `dt IN (…)`, or the reverse comparison). Athena bills by bytes scanned: without such a
 * filter a query reads every day of the table.
 */
export function hasPartitionFilter(sql: string): boolean {
  const code = codeOnly(sql);
  const dt = String.raw`(?:\b\w+\.)?(?:\bdt\b|"dt")`;
  const op = String.raw`(?:=|<>|!=|<=|>=|<|>|\bbetween\b|\bin\b|\blike\b)`;
  return new RegExp(`${dt}\\s*${op}|${op}\\s*${dt}`, "i").test(code);
}
