import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify';
import fastJsonStringify from 'fast-json-stringify';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const common: Options = {
  removeAdditional: false, // unknown fields are refused, never silently dropped
  useDefaults: true,
  allErrors: false,
  strict: false,
};

/**
 * Two validators: bodies are JSON and must have the right types as sent ("12" is not a number);
 * query strings and path parameters are text, so those are coerced to the schema's types.
 */
const bodyAjv = addFormats(new Ajv({ ...common, coerceTypes: false }));
const textAjv = addFormats(new Ajv({ ...common, coerceTypes: 'array' }));

/**
 * Schemas are compiled on first use, not at start: compiling every route's validators and serializers
 * up front took about half a second, and `lo serve` must be ready within 500 ms (DESIGN section 10).
 * The first request of each route pays its compilation once.
 */
export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
  let compiled: ValidateFunction | undefined;
  const validate = (data: unknown): boolean => {
    compiled ??= (httpPart === 'body' ? bodyAjv : textAjv).compile(schema);
    const valid = compiled(data);
    validate.errors = compiled.errors;
    return valid;
  };
  validate.errors = null as ValidateFunction['errors'];
  return validate as ReturnType<FastifySchemaCompiler<object>>;
};

type Serialize = (data: unknown) => string;

export const serializerCompiler: FastifySerializerCompiler<object> = ({ schema }) => {
  let serialize: Serialize | undefined;
  return (data: unknown): string => {
    serialize ??= fastJsonStringify(schema) as Serialize;
    return serialize(data);
  };
};
