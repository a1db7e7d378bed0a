// Request validation from the route schemas, with one rule for bodies and another for the rest. A JSON body is
// taken exactly as sent: a value of the wrong type is a 400 (Fastify's default would turn `"size": 12` into
// "12" and accept it) and a field the schema does not allow (`additionalProperties: false`) is a 400 (the
// default would drop it silently). Path parameters, query strings and headers arrive as text, so there numbers
// and booleans are still read from their text form, as Fastify does by default.
import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';
import type { Service } from './service.js';

const compilerFor = AjvCompiler();
const compileStrict = compilerFor({}, { customOptions: { coerceTypes: false, removeAdditional: false } });
const compileFromText = compilerFor({}, { customOptions: {} });

const compileValidator: FastifySchemaCompiler<FastifySchema> = (route) =>
  route.httpPart === 'body' ? compileStrict(route) : compileFromText(route);

export function validateRequests(app: Service): void {
  app.setValidatorCompiler(compileValidator);
}
