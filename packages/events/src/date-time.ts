/**
 * The common shape of a contract timestamp, read by hand: `YYYY-MM-DDTHH:MM:SS[.fff…]Z` with a
 * capital T and Z, a real calendar day and a time of day without a leap second. True only when
 * ajv-formats' full "date-time" check accepts the string too; false means "not this shape" and
 * the caller asks ajv-formats (which decides lowercase t/z, offsets, leap seconds and every
 * refusal). A third of a microsecond less per timestamp than its regular expressions and split.
 */
export function fastDateTime(s: string): boolean {
  const n = s.length;
  // 20 characters without a fraction; with one, a dot and at least one digit before the Z.
  if (n < 20 || n === 21 || s.charCodeAt(n - 1) !== 0x5a /* Z */) return false;
  if (
    s.charCodeAt(4) !== 0x2d /* - */ ||
    s.charCodeAt(7) !== 0x2d ||
    s.charCodeAt(10) !== 0x54 /* T */ ||
    s.charCodeAt(13) !== 0x3a /* : */ ||
    s.charCodeAt(16) !== 0x3a
  )
    return false;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59)
    return false;
  if (second < 0 || second > 59) return false;
  if (day > (month === 2 && isLeapYear(year) ? 29 : DAYS[month]!)) return false;
  if (n > 20) {
    if (s.charCodeAt(19) !== 0x2e /* . */) return false;
    for (let i = 20; i < n - 1; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return false;
    }
  }
  return true;
}

const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// RFC 3339 appendix C, as ajv-formats has it.
const isLeapYear = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);

/** The decimal number of `count` ASCII digits at `at`, or -1 when one is not a digit. */
function digits(s: string, at: number, count: number): number {
  let v = 0;
  for (let i = at; i < at + count; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}
