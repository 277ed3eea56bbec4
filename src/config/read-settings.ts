import { Ajv } from 'ajv';
import { SETTINGS, SETTINGS_SCHEMA, STRICT_DEFAULTS, type SettingName, type Settings } from './settings.js';

type SettingSchema = (typeof SETTINGS)[SettingName];

// Compiled once per process and run once: a quicker compile is worth more than quicker code.
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, code: { optimize: false } });
// Annotations that only the messages below read.
ajv.addVocabulary(['secret', 'message']);
const validateSettings = ajv.compile<Settings>(SETTINGS_SCHEMA);

/** The settings read, and which of them are invalid, each with its problem. */
export interface ReadSettings {
  /** Every setting: the value given, else the profile's default. Only those not `invalid` are valid. */
  readonly settings: Settings;
  readonly invalid: ReadonlySet<SettingName>;
  readonly problems: readonly string[];
}

/**
 * Converts and validates each setting in `raw` (keyed by its `SESAME_*` name; empty means
 * unset) against the schema, filling in the defaults of the profile it names. Never throws:
 * every problem is listed, in the schema's order.
 */
export function readSettings(raw: Readonly<Record<string, string | undefined>>): ReadSettings {
  const isStrict = raw.SESAME_PROFILE?.trim() === 'strict';
  const strictDefaults: Readonly<Record<string, unknown>> = STRICT_DEFAULTS;
  const values: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(SETTINGS)) {
    const given = raw[name];
    if (given !== undefined && given !== '') values[name] = parseSetting(schema, given.trim());
    else if (isStrict && name in strictDefaults) values[name] = strictDefaults[name];
  }
  validateSettings(values);
  const invalid = new Set((validateSettings.errors ?? []).map((error) => error.instancePath.slice(1) as SettingName));
  const problems = (Object.entries(SETTINGS) as Array<[SettingName, SettingSchema]>)
    .filter(([name]) => invalid.has(name))
    // A secret's value never goes into a message (which may end up in a log).
    .map(([name, schema]) => `${name}: ${describe(schema)} (${'secret' in schema ? 'value hidden' : `got ${JSON.stringify(raw[name])}`})`);
  // The values that failed are still read, never used: the loader builds nothing when any did.
  return { settings: values as Settings, invalid, problems };
}

// Only exact spellings convert: "5.5" for an integer or "yes" for a boolean is a mistake to report, not to guess at.
function parseSetting(schema: SettingSchema, text: string): unknown {
  if (schema.type === 'integer' && /^-?\d+$/.test(text)) return Number(text);
  if (schema.type === 'boolean' && /^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  return text;
}

/** What a valid value looks like, from the schema's keywords. */
function describe(schema: SettingSchema): string {
  if ('message' in schema) return schema.message;
  if ('enum' in schema) return `must be one of ${schema.enum.join(', ')}`;
  if (schema.type === 'integer') return `must be a whole number from ${schema.minimum} to ${schema.maximum}`;
  if (schema.type === 'boolean') return 'must be true or false';
  const minLength = 'minLength' in schema ? schema.minLength : 0;
  return minLength > 1 ? `must have at least ${minLength} characters` : 'must not be empty';
}
