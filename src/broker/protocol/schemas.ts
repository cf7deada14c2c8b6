/**
 * Payload checks for the types an app (or its dialect's preset) gave a schema, run once
 * per frame in the worker. Types without one are relayed untyped: the catalogue is the
 * app's, and an event is never lost for a shape nobody declared.
 *
 * A schema is one compact line per type — `field[:kind][?]`, kinds s (string, the
 * default), n (finite number), b (boolean), a (string array), z (string or null), `?`
 * for optional (left out or null) — because it travels to and ships in the worker,
 * where bytes count.
 */
import type { Envelope } from '../../link/envelope.ts';

/**
 * Server values index these tables: only their own entries count, so a type
 * named `constructor` or `__proto__` finds nothing on Object.prototype.
 */
const own = <T>(table: Record<string, T>, key: string): T | undefined => (Object.hasOwn(table, key) ? table[key] : undefined);

type Field = [name: string, kind: string, optional: boolean];

const kindName: Record<string, string> = { s: 'a string', n: 'a number', b: 'a boolean', a: 'an array of strings', z: 'a string or null' };

function fits(value: unknown, kind: string): boolean {
  switch (kind) {
    case 'n':
      return typeof value === 'number' && Number.isFinite(value);
    case 'b':
      return typeof value === 'boolean';
    case 'a':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
    case 'z':
      return value === null || typeof value === 'string';
    default:
      return typeof value === 'string';
  }
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

function compile(spec: string): Field[] {
  return spec.split(' ').map((field) => {
    const optional = field.endsWith('?');
    const [name, kind = 's'] = (optional ? field.slice(0, -1) : field).split(':');
    return [name!, kind, optional];
  });
}

/** What is wrong with a payload; `fatal` when the event cannot be trusted (a wrong kind, or no id or tenant). */
export interface PayloadProblem {
  message: string;
  fatal: boolean;
}

export class PayloadSchemas {
  readonly #table: Readonly<Record<string, string>>;
  readonly #compiled = new Map<string, Field[]>();

  constructor(table: Readonly<Record<string, string>>) {
    this.#table = table;
  }

  knows(type: string): boolean {
    return Object.hasOwn(this.#table, type);
  }

  /**
   * Check a payload against its type's schema. Returns undefined when it fits (or the type
   * has none), else what is wrong — naming the field and the kind it got, never the value.
   * A required field left out or null is reported but not fatal, unless it is the entity's
   * id (the first field) or `tenantId`: backends serialise "no value" both ways, and an event
   * that says what changed must not be lost over a missing description.
   */
  problem(envelope: Envelope): PayloadProblem | undefined {
    const fields = this.#fieldsOf(envelope.type);
    if (!fields) return undefined;
    const data = envelope.data as Record<string, unknown>;
    let gap: PayloadProblem | undefined;
    for (const [index, [name, kind, optional]] of fields.entries()) {
      const value = own(data, name);
      // An optional field may be left out or sent as null (a nullable column serialised as is).
      if (value == null && optional) continue;
      if (!fits(value, kind)) {
        const message = `${envelope.type}: ${name} must be ${own(kindName, kind) ?? kindName.s}, got ${value === undefined ? 'nothing' : describe(value)}`;
        if (value != null || index === 0 || name === 'tenantId') return { message, fatal: true };
        gap ??= { message, fatal: false };
      }
    }
    return gap;
  }

  #fieldsOf(type: string): Field[] | undefined {
    let fields = this.#compiled.get(type);
    const spec = fields ? undefined : own(this.#table, type);
    if (spec !== undefined) {
      fields = compile(spec);
      this.#compiled.set(type, fields);
    }
    return fields;
  }
}
