import { ValueNode, type Compilable, type Expression, type Kysely, type OperationNode } from 'kysely';

/** A database or a transaction to run a compiled statement on. */
export type Runner = Pick<Kysely<unknown>, 'executeQuery'>;

/**
 * Stand-ins for the named parameters `P` of one statement, passed to Kysely where it takes
 * values: `p.sessionId` is where each run's `sessionId` goes. Each is typed as its value, so
 * Kysely checks it against its column.
 */
export type Placeholders<P> = { readonly [K in keyof P]-?: Expression<P[K]> };

type PlaceholderSet = Map<string, Placeholder>;

/** Where one named parameter goes: Kysely compiles it as a value, and so lists it among the parameters. */
class Placeholder implements Expression<unknown> {
  readonly name: string;
  readonly set: PlaceholderSet;

  constructor(name: string, set: PlaceholderSet) {
    this.name = name;
    this.set = set;
  }

  get expressionType(): undefined {
    return undefined;
  }

  toOperationNode(): OperationNode {
    return ValueNode.create(this);
  }
}

// The placeholders each `placeholders()` made, by name: those a statement must take.
const setsOf = new WeakMap<object, PlaceholderSet>();

/** Placeholders for one statement's named parameters, each made when first named. */
export function placeholders<P>(): Placeholders<P> {
  const set: PlaceholderSet = new Map();
  const named = new Proxy(
    {},
    {
      get(_target, name) {
        if (typeof name !== 'string') return undefined;
        let placeholder = set.get(name);
        if (placeholder === undefined) {
          placeholder = new Placeholder(name, set);
          set.set(name, placeholder);
        }
        return placeholder;
      },
    },
  );
  setsOf.set(named, set);
  return named as Placeholders<P>;
}

/** A statement compiled once, run with its named parameters' values. */
export interface NamedStatement<Row, P> {
  readonly sql: string;
  /** The values of `params` in the order the compiled SQL takes them. */
  values(params: P): unknown[];
  /** The rows the statement returns for `params`. */
  run(db: Runner, params: P): Promise<Row[]>;
  /** How many rows a write changed for `params`. */
  changes(db: Runner, params: P): Promise<bigint>;
}

/**
 * `query`, built with the placeholders `p` where its values go, compiled now and run later
 * with the values of `p`'s names: which value goes where is settled here, once, from the
 * compiled SQL itself, so reordering the query's clauses cannot swap two values. Compiling
 * once spares the hottest statements Kysely's build and compile at every run (BENCHMARKS.md,
 * items 12, 21 and 23).
 *
 * Throws, at start rather than at the first run, when a parameter is not one of `p`'s (a
 * value written into the query would be frozen into every run) or when a placeholder taken
 * from `p` is not in the SQL (its value would be dropped).
 */
export function compileNamed<Row, P>(query: Compilable<Row>, p: Placeholders<P>): NamedStatement<Row, P> {
  const set = setsOf.get(p);
  if (set === undefined) throw new Error('a named statement takes the placeholders that placeholders() made');
  const compiled = query.compile();
  const names = compiled.parameters.map((value, index) => {
    if (!(value instanceof Placeholder)) throw new Error(`parameter ${index + 1} is a value, not a placeholder: ${compiled.sql}`);
    if (value.set !== set) throw new Error(`parameter ${index + 1} is another statement's placeholder ${value.name}: ${compiled.sql}`);
    return value.name as keyof P;
  });
  for (const name of set.keys()) {
    if (!names.includes(name as keyof P)) throw new Error(`the placeholder ${name} is not in the statement: ${compiled.sql}`);
  }
  const values = (params: P): unknown[] => {
    const ordered = new Array<unknown>(names.length);
    for (let index = 0; index < names.length; index += 1) ordered[index] = params[names[index]!];
    return ordered;
  };
  const execute = (db: Runner, params: P) => db.executeQuery<Row>({ ...compiled, parameters: values(params) });
  return {
    sql: compiled.sql,
    values,
    run: async (db, params) => (await execute(db, params)).rows,
    changes: async (db, params) => (await execute(db, params)).numAffectedRows ?? 0n,
  };
}
