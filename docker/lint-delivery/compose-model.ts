// Read-only views of a Compose document. `docker-compose config` already writes environment,
// labels and depends_on as maps; what it leaves in more than one spelling (a command as a string
// or a list, volumes in Compose 1's short syntax or Compose 2's long one), and the file as
// written, these helpers give the rules in one shape.

export type ComposeService = Readonly<Record<string, unknown>>;

export function asRecord(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A scalar as Compose would read it: numbers and booleans become strings, null is unset. */
export function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function servicesOf(document: unknown): Map<string, ComposeService> {
  const services = asRecord(asRecord(document)?.services) ?? {};
  return new Map(
    Object.entries(services).map(([name, service]) => [name, asRecord(service) ?? {}] as const),
  );
}

/** A `map` or `KEY=value` list field (environment, labels) as a map; a bare KEY is unset. */
export function keyValues(field: unknown): Map<string, string | undefined> {
  if (Array.isArray(field)) {
    return new Map(
      field.map((item) => {
        const text = scalar(item) ?? '';
        const equals = text.indexOf('=');
        return equals < 0 ? [text, undefined] : [text.slice(0, equals), text.slice(equals + 1)];
      }),
    );
  }
  return new Map(
    Object.entries(asRecord(field) ?? {}).map(([key, value]) => [key, scalar(value)] as const),
  );
}

export const environmentOf = (service: ComposeService) => keyValues(service.environment);
export const labelsOf = (service: ComposeService) => keyValues(service.labels);

/** The command (or entrypoint) as arguments; a string is split on whitespace. */
export function argumentsOf(field: unknown): string[] {
  if (Array.isArray(field)) return field.map((item) => scalar(item) ?? '');
  return (scalar(field) ?? '').split(/\s+/).filter(Boolean);
}

export interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
  /** A named volume (declared at the top level) rather than a host path. */
  named: boolean;
}

export function mountsOf(service: ComposeService): Mount[] {
  const field = Array.isArray(service.volumes) ? (service.volumes as unknown[]) : [];
  return field.map((volume) => {
    const long = asRecord(volume);
    if (long) {
      return {
        source: scalar(long.source) ?? '',
        target: scalar(long.target) ?? '',
        readOnly: long.read_only === true,
        named: long.type === 'volume',
      };
    }
    const [source = '', target = '', mode = ''] = (scalar(volume) ?? '').split(':');
    return {
      source,
      target,
      readOnly: mode.split(',').includes('ro'),
      named: /^[A-Za-z0-9][\w.-]*$/.test(source),
    };
  });
}

export interface ImageReference {
  repository: string;
  tag?: string;
  digest?: string;
}

export function imageReference(image: string): ImageReference {
  const [name, digest] = image.split('@');
  const colon = name.lastIndexOf(':');
  const hasTag = colon > name.lastIndexOf('/');
  return {
    repository: hasTag ? name.slice(0, colon) : name,
    tag: hasTag ? name.slice(colon + 1) : undefined,
    digest,
  };
}

/** Seconds in a Compose / Go duration (`45s`, `1m30s`, `500ms`); a bare number is seconds. */
export function durationSeconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6, ns: 1e-9 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * units[unit], 0);
}

/**
 * The value of a command-line flag among arguments: `--name=value` or `--name value`; true for a
 * flag present without a value. Undefined when absent.
 */
export function flagValue(args: readonly string[], ...names: string[]): string | true | undefined {
  for (let i = 0; i < args.length; i++) {
    for (const name of names) {
      if (args[i].startsWith(`${name}=`)) return args[i].slice(name.length + 1);
      if (args[i] === name) {
        const next = args[i + 1];
        return next !== undefined && !next.startsWith('-') ? next : true;
      }
    }
  }
  return undefined;
}
