/**
 * The OpenAPI 3.1 document of the control API (GET /v1/openapi.json), generated from the route table the server
 * registers (api-routes.ts) and the zod schemas of each route (api-schemas.ts) with zod's own JSON Schema output
 * (draft 2020-12, the dialect of OpenAPI 3.1). Built once per server: nothing here is hand-kept next to the routes.
 */
import { z } from 'zod';
import { ERROR_CATALOGUE } from '../model/errors.js';
import { ErrorBody } from './api-schemas.js';

/** A route's documentation: what it takes and what it answers. */
export interface RouteDoc {
  readonly method: string;
  /** The route as registered with fastify: `/v1/orders/:id`, `/web/*`. */
  readonly url: string;
  readonly summary: string;
  /** No bearer token (GET /health, the status page). */
  readonly open?: boolean;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** The body may be left out (POST /v1/admin/kill). */
  readonly bodyOptional?: boolean;
  /** Status → what it means and its JSON schema (none: not JSON, `contentType` says what). */
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: z.ZodType; readonly contentType?: string }>>;
  /** The WebSocket route (an upgrade; documented with its 101). */
  readonly websocket?: boolean;
}

/** `/v1/orders/:id` → `/v1/orders/{id}`; a wildcard `*` → `{path}`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{path}');
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

function parameters(doc: RouteDoc): unknown[] {
  const out: unknown[] = [];
  if (doc.params !== undefined) {
    for (const [name, schema] of Object.entries(doc.params.shape)) {
      out.push({ name: name === '*' ? 'path' : name, in: 'path', required: true, schema: jsonSchema(schema as z.ZodType, 'input') });
    }
  }
  if (doc.query !== undefined) {
    const q = jsonSchema(doc.query, 'input') as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      const { description, ...rest } = schema;
      out.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema: rest, ...(typeof description === 'string' ? { description } : {}) });
    }
  }
  return out;
}

/** The document for `routes`. */
export function openApiDocument(routes: readonly RouteDoc[], info: { title: string; version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const error = jsonSchema(ErrorBody, 'output');
  for (const r of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, res] of Object.entries(r.responses)) {
      const type = res.contentType ?? 'application/json';
      responses[status] = {
        description: res.description,
        ...(res.schema !== undefined ? { content: { [type]: { schema: jsonSchema(res.schema, 'output') } } }
          : res.contentType !== undefined ? { content: { [type]: { schema: { type: 'string' } } } } : {}),
      };
    }
    if (r.open !== true) responses['401'] = { description: ERROR_CATALOGUE.UNAUTHORIZED.description, content: { 'application/json': { schema: error } } };
    responses.default = { description: 'a refusal with a code from the error catalogue', content: { 'application/json': { schema: error } } };
    const op: Record<string, unknown> = {
      operationId: `${r.method.toLowerCase()}${openApiPath(r.url).replace(/[{}]/g, '').split(/[/.*-]/).map((s) => (s.length > 0 ? s[0]!.toUpperCase() + s.slice(1) : '')).join('')}`,
      summary: r.summary,
      ...(r.open === true ? { security: [] } : {}),
      responses,
    };
    const ps = parameters(r);
    if (ps.length > 0) op.parameters = ps;
    if (r.body !== undefined) op.requestBody = { required: r.bodyOptional !== true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } };
    (paths[openApiPath(r.url)] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { ...info, description: 'Switchyard control API. Every route but GET /health and the status page (/, /web/*) needs `Authorization: Bearer <token>`.' },
    servers: [{ url: '/' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
