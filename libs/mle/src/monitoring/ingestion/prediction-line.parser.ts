import { Features } from '../../feature-schema';
import { PredictionRecord } from '../../prediction-log/prediction-record';

// PostgreSQL text and jsonb refuse NUL and unpaired UTF-16 surrogates: a line holding one would
// fail its whole batch, so it is malformed here.
const LONE_SURROGATE = /\p{Cs}/u;
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const FIRST_INSTANT = Date.parse('0001-01-01T00:00:00Z');
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isStorable = (text: string): boolean =>
  !text.includes('\u0000') && !LONE_SURROGATE.test(text);
const isString = (value: unknown): value is string => typeof value === 'string';
const isStorableString = (value: unknown): value is string => isString(value) && isStorable(value);
const isFiniteNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

function isFeatures(
  value: unknown,
  isText: (value: unknown) => value is string,
): value is Features {
  if (!isObject(value)) return false;
  for (const key of Object.keys(value)) {
    const feature = value[key];
    const valid = typeof feature === 'boolean' || isFiniteNumber(feature) || isText(feature);
    if (!valid || !isText(key)) return false;
  }
  return true;
}

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : MONTH_DAYS[month - 1];
}

/**
 * The instant of an ISO 8601 timestamp with a time zone, in epoch milliseconds, or undefined.
 * Stricter than `Date.parse`, which rolls 30 February over to March and accepts forms that
 * PostgreSQL does not.
 */
export function instantOf(ts: string): number | undefined {
  const canonical = canonicalInstant(ts);
  if (canonical !== undefined) return canonical;
  const match = ISO_INSTANT.exec(ts);
  if (!match) return undefined;
  const month = +match[2];
  const day = +match[3];
  const valid =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(+match[1], month) &&
    +match[4] <= 23 &&
    +match[5] <= 59 &&
    +match[6] <= 59 &&
    (match[8] === 'Z' || (+match[9] <= 23 && +match[10] <= 59));
  const ms = valid ? Date.parse(ts) : NaN;
  // PostgreSQL has no year 0: the instant must land in years 1 to 9999 once in UTC.
  return ms >= FIRST_INSTANT && ms <= LAST_INSTANT ? ms : undefined;
}

/**
 * `YYYY-MM-DDTHH:mm:ss.sssZ` (what `toISOString()` writes, so nearly every line), read without
 * a regular expression or `Date.parse`; undefined for any other form.
 */
function canonicalInstant(ts: string): number | undefined {
  if (ts.length !== 24 || ts[4] !== '-' || ts[7] !== '-' || ts[10] !== 'T') return undefined;
  if (ts[13] !== ':' || ts[16] !== ':' || ts[19] !== '.' || ts[23] !== 'Z') return undefined;
  const year = digits(ts, 0, 4);
  const month = digits(ts, 5, 2);
  const day = digits(ts, 8, 2);
  const hour = digits(ts, 11, 2);
  const minute = digits(ts, 14, 2);
  const second = digits(ts, 17, 2);
  const ms = digits(ts, 20, 3);
  // Date.UTC reads years 0–99 as 1900–1999: those take the general path.
  const valid =
    year >= 100 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    ms >= 0;
  return valid ? Date.UTC(year, month - 1, day, hour, minute, second, ms) : undefined;
}

/** The number written with `count` decimal digits at `start`, or NaN. */
function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return value;
}

/** A valid line's record, its time as epoch milliseconds (to the millisecond). */
export interface ValidPrediction extends Omit<PredictionRecord, 'ts' | 'shadow'> {
  at: number;
  shadow: boolean;
}

/**
 * The prediction record on one log line, or undefined when the line is not valid JSON or a
 * field is missing or of the wrong type. Fields the record does not know are ignored.
 */
export function parsePredictionLine(line: string): ValidPrediction | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  // A NUL or a lone surrogate can only come from a \u escape (JSON has no raw control
  // characters, UTF-8 no lone surrogates): a line without a backslash needs no check.
  const isText = line.includes('\\') ? isStorableString : isString;
  const {
    ts,
    requestId,
    inputId,
    features,
    prediction,
    probability,
    model,
    modelVersion,
    latencyMs,
    shadow,
  } = value;
  const at = typeof ts === 'string' ? instantOf(ts) : undefined;
  if (
    at === undefined ||
    !isText(requestId) ||
    !isText(inputId) ||
    !isFeatures(features, isText) ||
    typeof prediction !== 'boolean' ||
    !isFiniteNumber(probability) ||
    !isText(model) ||
    !isText(modelVersion) ||
    !isFiniteNumber(latencyMs) ||
    (shadow !== undefined && shadow !== true)
  ) {
    return undefined;
  }
  return {
    at,
    requestId,
    inputId,
    features,
    prediction,
    probability,
    model,
    modelVersion,
    latencyMs,
    shadow: shadow === true,
  };
}
