import type { TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';

const checkers = new WeakMap<TSchema, TypeCheck<TSchema>>();

/** The compiled check of a TypeBox schema, compiled on first use and kept while the schema lives. */
export function checker(schema: TSchema): TypeCheck<TSchema> {
  let c = checkers.get(schema);
  if (!c) {
    c = TypeCompiler.Compile(schema);
    checkers.set(schema, c);
  }
  return c;
}
