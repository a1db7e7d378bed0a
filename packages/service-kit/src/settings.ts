// Reads a TypeBox object schema of settings from environment variables, for loadConfig (a service's own settings)
// and the kit's own groups (slow-clients.ts). Empty variables count as unset. Numbers and booleans are converted
// from text only when the text means exactly one value (TypeBox's Value.Convert would turn "3.5" into port 3,
// and "" into 0). Every invalid variable is reported, each named with what it expects and what it got.
import type { StaticDecode, TObject, TSchema, TSchemaOptions } from 'typebox';
import { Value } from 'typebox/value';

export type EnvVars = Record<string, string | undefined>;

export type SettingsReading<T extends TObject> =
  { settings: StaticDecode<T>; problems: [] } | { settings: undefined; problems: string[] };

/** Every invalid setting, one line each. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const BOOLEANS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false };

export function readSettings<T extends TObject>(schema: T, env: EnvVars): SettingsReading<T> {
  const given: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(schema.properties)) {
    const text = env[name]?.trim();
    if (text) given[name] = fromText(field, text);
  }
  const value = Value.Default(schema, given) as Record<string, unknown>;

  // One problem per variable, the first rule it breaks, in schema order.
  const problems = new Map<string, string>();
  for (const failure of Value.Errors(schema, value)) {
    const names =
      failure.keyword === 'required'
        ? failure.params.requiredProperties
        : [failure.instancePath.split('/')[1] ?? ''];
    for (const name of names) {
      if (problems.has(name)) continue;
      const expected = (schema.properties[name] as TSchemaOptions | undefined)?.description;
      const rule = expected ? `must be ${expected}` : failure.message;
      problems.set(
        name,
        name in value
          ? `${name} ${rule}, got ${JSON.stringify(env[name] ?? value[name])}`
          : `${name} is required${expected ? `: ${expected}` : ''}`,
      );
    }
  }
  if (problems.size > 0) return { settings: undefined, problems: [...problems.values()] };
  return { settings: Value.Decode(schema, value), problems: [] };
}

function fromText(field: TSchema, text: string): unknown {
  const { type } = field as TSchemaOptions;
  if (type === 'integer' || type === 'number') return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  if (type === 'boolean') return BOOLEANS[text] ?? text;
  return text;
}
