import { _, Ajv, type CodeKeywordDefinition, type ErrorObject, type KeywordCxt, str, type ValidateFunction } from "ajv";
import * as ajvFormats from "ajv-formats";
import { HINT, PRIVATE } from "./common.ts";
import { fastDateTime } from "./date-time.ts";
import { DeadLetterRecord } from "./dead-letter.ts";
import { LIMITS } from "./limits.ts";
import { RECORDS, type RecordName } from "./records.ts";
import {
  EVENT_SCHEMAS,
  EVENT_TYPES,
  type EventType,
  familyOf,
  isEventType,
  type ReeltimeEvent,
  SERVER_EVENT_TYPES,
} from "./registry.ts";
import type { Family } from "./topics.ts";

/** One problem with one event: where it is (JSON pointer into the event), a stable reason and what to change. */
export interface Issue {
  pointer: string;
  reason: string;
  message: string;
}

export type EventResult =
  | { index: number; ok: true; event: ReeltimeEvent }
  | { index: number; ok: false; event_id?: string; event_type?: string; errors: Issue[] };

export interface BatchResult {
  /** Problems with the batch as a whole (not a list, too many events); no event was checked when set. */
  batchErrors: Issue[];
  results: EventResult[];
  accepted: number;
  rejected: number;
}

export interface ValidateOptions {
  /** The clock timestamps are checked against (defaults to now). */
  now?: Date;
  maxEvents?: number;
  /**
   * The families a caller may send (the public write API: CLIENT_FAMILIES). An event of another
   * family is refused with reason "server_only": reeltime's own services make those.
   */
  families?: readonly Family[];
}

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

// ajv-formats is CommonJS; under NodeNext its plugin function is the module's `default`.
const formats = ajvFormats.default as unknown as {
  get(name: "date-time", mode: "full"): { validate: (s: string) => boolean };
};
const fullDateTime = formats.get("date-time", "full").validate;

/**
 * The date-time format as ajv-formats' "full" mode checks it (RFC 3339, a zone required, real
 * calendar days, leap seconds only at 23:59:60 UTC): the common shape is read by hand first, and
 * anything it does not accept is left to ajv-formats' own check (see date-time.ts).
 */
const dateTime = { type: "string" as const, validate: (s: string) => fastDateTime(s) || fullDateTime(s) };

/**
 * String lengths in code points, as ajv counts them (its `ucs2length`), with the count skipped
 * where UTF-16 units already decide: a string has at most as many code points as units and at
 * least half as many, so `s.length <= max` is within maxLength and `s.length >= 2 * min` within
 * minLength. Same verdicts, same errors (keyword, params, message) and order as ajv's own
 * keywords, which these replace.
 */
const lengthKeyword: CodeKeywordDefinition = {
  keyword: ["maxLength", "minLength"],
  type: "string",
  schemaType: "number",
  $data: true,
  before: "pattern",
  error: {
    message: ({ keyword, schemaCode }) =>
      str`must NOT have ${keyword === "maxLength" ? "more" : "fewer"} than ${schemaCode} characters`,
    params: ({ schemaCode }) => _`{limit: ${schemaCode}}`,
  },
  code(cxt: KeywordCxt) {
    const { keyword, data, schemaCode, gen } = cxt;
    const count = gen.scopeValue("func", { ref: codePoints });
    cxt.fail$data(
      keyword === "maxLength"
        ? _`${data}.length > ${schemaCode} && ${count}(${data}) > ${schemaCode}`
        : _`${data}.length < ${schemaCode} || (${data}.length < 2 * ${schemaCode} && ${count}(${data}) < ${schemaCode})`,
    );
  },
};

/** Code points in a string, a lone surrogate counting as one: ajv's `ucs2length`. */
export function codePoints(s: string): number {
  const n = s.length;
  let count = 0;
  let i = 0;
  while (i < n) {
    count++;
    const c = s.charCodeAt(i++);
    if (c >= 0xd800 && c <= 0xdbff && i < n && (s.charCodeAt(i) & 0xfc00) === 0xdc00) i++;
  }
  return count;
}

function newAjv(opts: { allErrors: boolean; verbose: boolean } = { allErrors: true, verbose: true }): Ajv {
  const ajv = new Ajv({
    ...opts,
    strict: true,
    allowUnionTypes: true,
    keywords: [HINT, PRIVATE],
  });
  ajv.removeKeyword("maxLength");
  ajv.removeKeyword("minLength");
  ajv.addKeyword(lengthKeyword);
  ajv.addFormat("date-time", dateTime);
  return ajv;
}

function compileAll(): Record<EventType, ValidateFunction> {
  const ajv = newAjv();
  const out = {} as Record<EventType, ValidateFunction>;
  for (const type of EVENT_TYPES) out[type] = ajv.compile(EVENT_SCHEMAS[type]);
  return out;
}

/**
 * The fast path of validation, for the common case of a valid event: a validator of the same
 * schemas that stops at the first problem and keeps no error details, and the schema standing in
 * for the structural walk (structuralPlan). Whatever it does not accept goes through the full
 * path, which alone writes issues, so answers and messages are the same.
 */
interface FastCheck {
  validate: ValidateFunction;
  /** Property paths to the objects whose keys the schema leaves open to a forbidden key. */
  open: string[][];
}

let fastChecks: Partial<Record<EventType, FastCheck | null>> | undefined;

function fastCheck(type: EventType): FastCheck | null {
  fastChecks ??= {};
  let check = fastChecks[type];
  if (check === undefined) {
    const schema = EVENT_SCHEMAS[type] as unknown as Schema;
    const open = structuralPlan(schema);
    check = open === undefined ? null : { validate: fastAjv().compile(schema), open };
    fastChecks[type] = check;
  }
  return check;
}

let fastInstance: Ajv | undefined;
function fastAjv(): Ajv {
  fastInstance ??= newAjv({ allErrors: false, verbose: false });
  return fastInstance;
}

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  patternProperties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema | Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  const?: unknown;
  enum?: unknown[];
  $ref?: string;
  not?: unknown;
  if?: unknown;
  prefixItems?: unknown;
};

/**
 * What the structural walk (structuralIssues) can still find in an event this schema accepts.
 * The walk refuses objects nested deeper than the limit and forbidden keys; a schema whose
 * values are all typed, whose objects are closed (additionalProperties false) and whose depth
 * stays within the limit leaves only the forbidden keys its open objects may hold (the
 * attributes' key pattern accepts "constructor"). Returns the property paths to those objects,
 * or undefined when the schema cannot vouch for the walk (then the walk always runs).
 */
function structuralPlan(schema: Schema): string[][] | undefined {
  const open: string[][] = [];
  const ok = (s: Schema, depth: number, path: string[] | undefined): boolean => {
    if (s === null || typeof s !== "object") return false;
    if (s.$ref !== undefined || s.not !== undefined || s.if !== undefined || s.prefixItems !== undefined) return false;
    for (const k of ["anyOf", "oneOf", "allOf"] as const)
      for (const branch of s[k] ?? []) if (!ok(branch, depth, undefined)) return false;
    const types = s.type === undefined ? undefined : Array.isArray(s.type) ? s.type : [s.type];
    if (types === undefined) {
      // Untyped: only a constant, a list of scalars, or branches (checked above) are bounded.
      const values = s.const !== undefined ? [s.const] : s.enum;
      if (values !== undefined) return values.every((v) => v === null || typeof v !== "object");
      return (s.anyOf ?? s.oneOf ?? []).length > 0;
    }
    if (types.includes("object")) {
      if (depth > LIMITS.depth || s.additionalProperties !== false) return false;
      const patterns = Object.keys(s.patternProperties ?? {}).map((p) => new RegExp(p, "u"));
      const mayHoldForbidden = [...FORBIDDEN_KEYS].some(
        (key) => Object.hasOwn(s.properties ?? {}, key) || patterns.some((re) => re.test(key)),
      );
      if (mayHoldForbidden) {
        if (path === undefined) return false;
        open.push(path);
      }
      for (const [key, sub] of Object.entries(s.properties ?? {}))
        if (!ok(sub, depth + 1, path === undefined ? undefined : [...path, key])) return false;
      for (const sub of Object.values(s.patternProperties ?? {})) if (!ok(sub, depth + 1, undefined)) return false;
    }
    if (types.includes("array")) {
      if (depth > LIMITS.depth || s.items === undefined || Array.isArray(s.items)) return false;
      if (!ok(s.items, depth + 1, undefined)) return false;
    }
    return true;
  };
  return ok(schema, 0, []) ? open : undefined;
}

/** Whether the object at `path` (when there is one) has a key the structural walk refuses. */
function holdsForbiddenKey(event: Record<string, unknown>, path: string[]): boolean {
  let o: unknown = event;
  for (const key of path) {
    if (o === null || typeof o !== "object" || !Object.hasOwn(o, key)) return false;
    o = (o as Record<string, unknown>)[key];
  }
  if (o === null || typeof o !== "object") return false;
  for (const key of FORBIDDEN_KEYS) if (Object.hasOwn(o, key)) return true;
  return false;
}

/**
 * The fast path: true only when the full path would accept the event as it is (valid, no
 * structural issue, timestamps within bounds). False says nothing: the full path decides.
 */
function acceptedFast(event: Record<string, unknown>, type: EventType, now: Date | undefined): boolean {
  const check = fastCheck(type);
  if (check === null || !check.validate(event)) return false;
  for (const path of check.open) if (holdsForbiddenKey(event, path)) return false;
  const nowMs = now === undefined ? Date.now() : now.getTime();
  return timestampWithin(event.client_ts, nowMs) && timestampWithin(event.received_at, nowMs);
}

/** No timestamp issue for this value (timestampIssues' bounds, without writing an issue). */
function timestampWithin(value: unknown, nowMs: number): boolean {
  if (typeof value !== "string") return true;
  const t = Date.parse(value);
  if (Number.isNaN(t)) return true;
  const ahead = t - nowMs;
  return !(ahead > LIMITS.maxFutureMs) && !(-ahead > LIMITS.maxPastMs);
}

let deadLetterValidator: ValidateFunction | undefined;

/** Checks a dead letter against the contract's DeadLetterRecord; returns its problems (empty when valid). */
export function validateDeadLetter(letter: unknown): Issue[] {
  deadLetterValidator ??= newAjv().compile(DeadLetterRecord);
  return deadLetterValidator(letter) ? [] : (deadLetterValidator.errors ?? []).map((e) => toIssue(e, letter));
}

let recordValidators: Record<RecordName, ValidateFunction> | undefined;

/** Checks a views/jobs/videos record against the contract; returns its problems (empty when valid). */
export function validateRecord(name: RecordName, record: unknown): Issue[] {
  if (!recordValidators) {
    const ajv = newAjv();
    recordValidators = {
      views: ajv.compile(RECORDS.views),
      jobs: ajv.compile(RECORDS.jobs),
      videos: ajv.compile(RECORDS.videos),
    };
  }
  const validate = recordValidators[name];
  return validate(record) ? [] : (validate.errors ?? []).map((e) => toIssue(e, record));
}

let compiled: Record<EventType, ValidateFunction> | undefined;
/** Compiles every validator now (servers call it at start-up, so no request pays for it). */
export function warmUpValidators(): void {
  validators();
}

/** Validators are compiled once, on first use, and reused for every batch. */
function validators(): Record<EventType, ValidateFunction> {
  compiled ??= compileAll();
  return compiled;
}

export function escapePointerToken(token: string): string {
  return token.replaceAll("~", "~0").replaceAll("/", "~1");
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
}

const ARTICLE: Record<string, string> = {
  string: "a string",
  integer: "an integer",
  number: "a number",
  boolean: "a boolean",
  object: "an object",
  array: "an array",
  null: "null",
};
const typeNames = (t: unknown): string =>
  String(t)
    .split(",")
    .map((x) => ARTICLE[x] ?? x)
    .join(" or ");

function toIssue(e: ErrorObject, event: unknown): Issue {
  const p = e.params as Record<string, unknown>;
  const at = e.instancePath;
  switch (e.keyword) {
    case "required":
      return {
        pointer: `${at}/${escapePointerToken(String(p.missingProperty))}`,
        reason: "required",
        message: `missing required field "${String(p.missingProperty)}"`,
      };
    case "additionalProperties":
      if (e.parentSchema?.patternProperties)
        return {
          pointer: `${at}/${escapePointerToken(String(p.additionalProperty))}`,
          reason: "key",
          message: `key "${String(p.additionalProperty)}" is not allowed here: ${e.parentSchema.description ?? "check its spelling"}`,
        };
      return {
        pointer: `${at}/${escapePointerToken(String(p.additionalProperty))}`,
        reason: "unknown_field",
        message: `unknown field "${String(p.additionalProperty)}": not part of the contract for ${String((event as { event_type?: unknown }).event_type)} (check the spelling, or put custom data in "attributes")`,
      };
    case "type":
      return {
        pointer: at,
        reason: "type",
        message: `must be ${typeNames(p.type)}, got ${describe(valueAt(event, at))}`,
      };
    case "maxLength":
      return {
        pointer: at,
        reason: "too_long",
        message: `is ${String(valueAt(event, at)).length} characters; the limit is ${String(p.limit)}`,
      };
    case "minLength":
      return { pointer: at, reason: "too_short", message: "must not be empty" };
    case "maxProperties":
      return { pointer: at, reason: "too_many_keys", message: `has more than ${String(p.limit)} keys` };
    case "maxItems":
      return { pointer: at, reason: "too_many_items", message: `has more than ${String(p.limit)} items` };
    case "enum":
      return {
        pointer: at,
        reason: "enum",
        message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
      };
    case "const":
      return { pointer: at, reason: "const", message: `must be ${JSON.stringify(p.allowedValue)}` };
    case "format":
      return {
        pointer: at,
        reason: "format",
        message: `must be ${e.parentSchema?.description ?? `a ${String(p.format)}`}`,
      };
    case "pattern":
      return {
        pointer: at,
        reason: "pattern",
        message: `must be ${e.parentSchema?.description ?? `a string matching ${String(p.pattern)}`}`,
      };
    case "propertyNames":
      return { pointer: at, reason: "key", message: `has a key that is not allowed: ${e.message ?? ""}` };
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return { pointer: at, reason: "range", message: `must be ${String(p.comparison)} ${String(p.limit)}` };
    default:
      return { pointer: at, reason: e.keyword, message: e.message ?? "is invalid" };
  }
}

function valueAt(root: unknown, pointer: string): unknown {
  let cur = root;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/**
 * Structural checks that must run before schema validation: nesting depth and prototype-polluting
 * keys. The walk keeps the path as keys and indexes; a pointer is written only for an issue (a
 * valid event, the common case, allocates nothing per key).
 */
function structuralIssues(value: unknown): Issue[] {
  const out: Issue[] = [];
  const path: (string | number)[] = [];
  const pointer = () => path.map((t) => `/${typeof t === "number" ? t : escapePointerToken(t)}`).join("");
  const walk = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== "object") return;
    if (depth > LIMITS.depth) {
      out.push({ pointer: pointer(), reason: "too_deep", message: `objects nest deeper than ${LIMITS.depth} levels` });
      return;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        walk(v[i], depth + 1);
        path.pop();
      }
      return;
    }
    const o = v as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      path.push(key);
      if (FORBIDDEN_KEYS.has(key))
        out.push({ pointer: pointer(), reason: "forbidden_key", message: `the key "${key}" is not allowed anywhere` });
      else walk(o[key], depth + 1);
      path.pop();
    }
  };
  walk(value, 0);
  return out;
}

const DAY = 24 * 3600 * 1000;
function timestampIssues(event: Record<string, unknown>, now: Date): Issue[] {
  const out: Issue[] = [];
  for (const field of ["client_ts", "received_at"] as const) {
    const value = event[field];
    if (typeof value !== "string") continue;
    const t = Date.parse(value);
    if (Number.isNaN(t)) continue;
    const ahead = t - now.getTime();
    if (ahead > LIMITS.maxFutureMs)
      out.push({
        pointer: `/${field}`,
        reason: "timestamp_future",
        message: `is ${(ahead / DAY).toFixed(1)} days in the future; at most ${LIMITS.maxFutureMs / DAY} day ahead is accepted (check the device clock)`,
      });
    else if (-ahead > LIMITS.maxPastMs)
      out.push({
        pointer: `/${field}`,
        reason: "timestamp_past",
        message: `is ${(-ahead / DAY).toFixed(0)} days in the past; events older than ${LIMITS.maxPastMs / DAY} days are refused`,
      });
  }
  return out;
}

/** Validates one event against the contract. Never throws; returns every problem found. */
export function validateEvent(input: unknown, index = 0, opts: ValidateOptions = {}): EventResult {
  if (input === null || typeof input !== "object" || Array.isArray(input))
    return {
      index,
      ok: false,
      errors: [{ pointer: "", reason: "type", message: `an event must be a JSON object, got ${describe(input)}` }],
    };
  const event = input as Record<string, unknown>;
  const type = event.event_type;
  if (
    isEventType(type) &&
    (!opts.families || (opts.families.includes(familyOf(type)) && !SERVER_EVENT_TYPES.includes(type))) &&
    acceptedFast(event, type, opts.now)
  )
    return { index, ok: true, event: event as unknown as ReeltimeEvent };
  const ident = {
    ...(typeof event.event_id === "string" ? { event_id: event.event_id.slice(0, 64) } : {}),
    ...(typeof event.event_type === "string" ? { event_type: event.event_type.slice(0, 64) } : {}),
  };
  const structural = structuralIssues(event);
  if (structural.length > 0) return { index, ok: false, ...ident, errors: structural };
  if (!isEventType(type)) {
    const message =
      type === undefined
        ? `missing required field "event_type" (one of ${EVENT_TYPES.length} types; run \`reeltime events list\`)`
        : `unknown event type ${JSON.stringify(type)?.slice(0, 80)}; run \`reeltime events list\` for the ${EVENT_TYPES.length} known types`;
    return { index, ok: false, ...ident, errors: [{ pointer: "/event_type", reason: "unknown_type", message }] };
  }
  if (opts.families && (!opts.families.includes(familyOf(type)) || SERVER_EVENT_TYPES.includes(type)))
    return {
      index,
      ok: false,
      ...ident,
      errors: [
        {
          pointer: "/event_type",
          reason: "server_only",
          message: SERVER_EVENT_TYPES.includes(type)
            ? `${type} events are made by reeltime's own services from CDN logs; a write key may not send them`
            : `${type} events are made by reeltime's own services; a write key may send ${opts.families.join(" and ")} events`,
        },
      ],
    };
  const validate = validators()[type];
  const errors = validate(event) ? [] : (validate.errors ?? []).map((e) => toIssue(e, event));
  errors.push(...timestampIssues(event, opts.now ?? new Date()));
  if (errors.length > 0) return { index, ok: false, ...ident, errors: dedupe(errors) };
  return { index, ok: true, event: event as unknown as ReeltimeEvent };
}

function dedupe(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.pointer}|${i.reason}|${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Accepts `[event, ...]` or `{ "events": [event, ...] }`; validates each event on its own. */
export function validateBatch(input: unknown, opts: ValidateOptions = {}): BatchResult {
  const list = Array.isArray(input)
    ? input
    : input !== null && typeof input === "object" && Array.isArray((input as { events?: unknown }).events)
      ? (input as { events: unknown[] }).events
      : undefined;
  if (list === undefined)
    return batchFailure({
      pointer: "",
      reason: "not_a_batch",
      message: 'the body must be a JSON array of events or an object { "events": [...] }',
    });
  const max = opts.maxEvents ?? LIMITS.batchEvents;
  if (list.length === 0)
    return batchFailure({ pointer: "/events", reason: "empty", message: "the batch holds no events" });
  if (list.length > max)
    return batchFailure({
      pointer: "/events",
      reason: "too_many_events",
      message: `the batch holds ${list.length} events; send at most ${max} per request`,
    });
  const results = list.map((e, i) => validateEvent(e, i, opts));
  const accepted = results.filter((r) => r.ok).length;
  return { batchErrors: [], results, accepted, rejected: results.length - accepted };
}

function batchFailure(issue: Issue): BatchResult {
  return { batchErrors: [issue], results: [], accepted: 0, rejected: 0 };
}
