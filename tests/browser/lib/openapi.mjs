// openapi.mjs: docs/openapi.yaml as a checker of imsd's real REST answers.
//
//   loadOpenApi()        -- validates the document (@apidevtools/swagger-parser:
//                           throws with every problem) and resolves its $refs;
//                           resolves with an OpenApiContract
//   .check(method, path, res[, {as}])
//                        -- finds the operation whose path template matches
//                           path (query ignored), requires res.status to be one
//                           of its documented responses, the Content-Type to
//                           be JSON and res.json to validate against that
//                           response's schema (ajv, JSON Schema 2020-12, every
//                           error listed); as: 'NotFound' or 'MethodNotAllowed'
//                           checks a request no operation covers (an unknown
//                           path, another method) against that component
//                           response instead.  Counts what it checked.
//   .requestProblems(body) -- the ajv errors of a POST /api/v1/sessions body
//                           against its requestBody schema ([] if valid)
//   .operations()        -- [{method, template}] of every documented operation
//   .unchecked()         -- documented "METHOD template status" triples that no
//                           check() has seen yet
//   serverRoutes()       -- every {method, template} of the route tables in
//                           server/http/*.c (read from the source)
// Synchronous except loadOpenApi; no network.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

import { repoRoot } from './imsd.mjs';

export const OPENAPI_FILE = path.join(repoRoot, 'docs/openapi.yaml');
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'];

/** A path template's segments with every "{name}" as "{}" ("/a/{id}" -> "/a/{}"). */
export function templateShape(template) {
  return template.replace(/\{[^}/]*\}/g, '{}');
}

function matches(template, urlPath) {
  const want = template.split('/');
  const got = urlPath.split('/');
  return want.length === got.length &&
    want.every((segment, i) => (/^\{[^}]*\}$/.test(segment) ? got[i] !== '' : segment === got[i]));
}

export class OpenApiContract {
  constructor(api) {
    this.api = api;
    this.ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(this.ajv);
    this.validators = new Map();
    this.seen = new Set();
  }

  validator(schema) {
    let validate = this.validators.get(schema);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.validators.set(schema, validate);
    }
    return validate;
  }

  operations() {
    const out = [];
    for (const [template, item] of Object.entries(this.api.paths)) {
      for (const method of METHODS) if (item[method]) out.push({ method: method.toUpperCase(), template });
    }
    return out;
  }

  /** {template, operation} of the operation serving method urlPath, or null. */
  find(method, urlPath) {
    const bare = urlPath.split('?')[0];
    for (const [template, item] of Object.entries(this.api.paths)) {
      const operation = item[method.toLowerCase()];
      if (operation && matches(template, bare)) return { template, operation };
    }
    return null;
  }

  /** Asserts that res ({status, headers, text, json}) is what the spec documents. */
  check(method, urlPath, res, { as } = {}) {
    const what = `${method} ${urlPath} -> ${res.status}`;
    let response;
    if (as) {
      response = this.api.components.responses[as];
      assert.ok(response, `no component response ${as}`);
    } else {
      const found = this.find(method, urlPath);
      assert.ok(found, `${what}: no operation of docs/openapi.yaml serves ${method} ${urlPath}`);
      response = found.operation.responses[String(res.status)];
      assert.ok(response, `${what}: status ${res.status} is not documented for ${method} ${found.template} ` +
        `(documented: ${Object.keys(found.operation.responses).join(', ')}); body ${res.text}`);
      this.seen.add(`${method} ${found.template} ${res.status}`);
    }
    if (response.content && response.content['text/plain']) {   // GET /metrics
      assert.match(res.headers.get('content-type') || '', /^text\/plain/, `${what}: Content-Type`);
      assert.ok(res.text.length > 0, `${what}: an empty body`);
      return res;
    }
    const content = response.content && response.content['application/json'];
    assert.ok(content, `${what}: the spec gives no JSON body for it`);
    assert.match(res.headers.get('content-type') || '', /^application\/json/, `${what}: Content-Type`);
    assert.notEqual(res.json, null, `${what}: the body is not JSON: ${res.text}`);
    const validate = this.validator(content.schema);
    assert.ok(validate(res.json), `${what}: the body does not match docs/openapi.yaml:\n` +
      `${JSON.stringify(validate.errors, null, 1)}\nbody: ${res.text}`);
    return res;
  }

  requestProblems(body) {
    const schema = this.api.paths['/api/v1/sessions'].post.requestBody.content['application/json'].schema;
    const validate = this.validator(schema);
    return validate(body) ? [] : validate.errors;
  }

  unchecked() {
    const out = [];
    for (const { method, template } of this.operations()) {
      const operation = this.api.paths[template][method.toLowerCase()];
      for (const status of Object.keys(operation.responses)) {
        const key = `${method} ${template} ${status}`;
        if (!this.seen.has(key)) out.push(key);
      }
    }
    return out;
  }
}

export async function loadOpenApi(file = OPENAPI_FILE) {
  // validate() checks the document against the OpenAPI schema and resolves every $ref
  const api = await SwaggerParser.validate(file);
  const contract = new OpenApiContract(api);
  // every response schema compiles (ajv strict: no unknown keyword, no typo)
  for (const { method, template } of contract.operations()) {
    for (const response of Object.values(api.paths[template][method.toLowerCase()].responses)) {
      if (response.content && response.content['application/json']) contract.validator(response.content['application/json'].schema);
    }
  }
  return contract;
}

// ---- the routes imsd serves, read from server/http/*.c

const STRING_OR_NAME = /"((?:[^"\\]|\\.)*)"|([A-Za-z_]\w*)/g;

/** #define NAME <string literals and names> of one source text. */
function macrosOf(text) {
  const macros = new Map();
  for (const m of text.matchAll(/^#define\s+([A-Za-z_]\w*)\s+((?:"[^"\n]*"|[A-Za-z_]\w*)(?:\s+(?:"[^"\n]*"|[A-Za-z_]\w*))*)\s*$/gm)) {
    macros.set(m[1], m[2]);
  }
  return macros;
}

function evaluate(expression, macros, depth = 0) {
  if (depth > 8) throw new Error(`macro loop in ${expression}`);
  let out = '';
  for (const m of expression.matchAll(STRING_OR_NAME)) {
    if (m[1] !== undefined) out += m[1];
    else if (macros.has(m[2])) out += evaluate(macros.get(m[2]), macros, depth + 1);
    else throw new Error(`unknown macro ${m[2]} in a route of server/http/`);
  }
  return out;
}

/** [{method, template, file}] of every `{ "METHOD", <path expression>, ROUTE_ID }` route
 *  entry in server/http/*.c, macros resolved (the file's own, then every
 *  header's of server/http/). */
export function serverRoutes(dir = path.join(repoRoot, 'server/http')) {
  const files = fs.readdirSync(dir).filter((f) => /\.[ch]$/.test(f));
  const headerMacros = new Map();
  for (const f of files.filter((f) => f.endsWith('.h'))) {
    for (const [k, v] of macrosOf(fs.readFileSync(path.join(dir, f), 'utf8'))) headerMacros.set(k, v);
  }
  const routes = [];
  for (const f of files.filter((f) => f.endsWith('.c'))) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    const macros = new Map([...headerMacros, ...macrosOf(text)]);
    const entry = /\{\s*"(GET|POST|PUT|PATCH|DELETE)"\s*,\s*((?:"[^"\n]*"|[A-Za-z_]\w*)(?:\s+(?:"[^"\n]*"|[A-Za-z_]\w*))*)\s*,\s*[A-Za-z_]\w*\s*\}/g;
    for (const m of text.matchAll(entry)) routes.push({ method: m[1], template: evaluate(m[2], macros), file: f });
  }
  return routes;
}
