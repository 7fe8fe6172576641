import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import * as ajvFormats from "ajv-formats";
import { HINT, PRIVATE } from "./common.ts";
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

// ajv-formats is CommonJS; under NodeNext its function is the module's `default`.
const addFormats = ajvFormats.default as unknown as (ajv: Ajv, formats: string[]) => Ajv;

function newAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    strict: true,
    allowUnionTypes: true,
    keywords: [HINT, PRIVATE],
  });
  addFormats(ajv, ["date-time"]);
  return ajv;
}

function compileAll(): Record<EventType, ValidateFunction> {
  const ajv = newAjv();
  const out = {} as Record<EventType, ValidateFunction>;
  for (const type of EVENT_TYPES) out[type] = ajv.compile(EVENT_SCHEMAS[type]);
  return out;
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
  const ident = {
    ...(typeof event.event_id === "string" ? { event_id: event.event_id.slice(0, 64) } : {}),
    ...(typeof event.event_type === "string" ? { event_type: event.event_type.slice(0, 64) } : {}),
  };
  const structural = structuralIssues(event);
  if (structural.length > 0) return { index, ok: false, ...ident, errors: structural };
  const type = event.event_type;
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
