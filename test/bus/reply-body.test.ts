/**
 * A command's reply body as JSON (bodyJson): the bytes JSON.stringify gives of the body, with an order's view given as
 * text made once (JsonText) instead of an object stringified again.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bodyJson, JsonText } from '../../src/bus/command-intake.js';

describe('bodyJson', () => {
  it('is JSON.stringify of the body, each JsonText written as the JSON of what it stands for', () => {
    const value = fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.constant(() => 1));
    fc.assert(fc.property(fc.dictionary(fc.string(), fc.tuple(value, fc.boolean())), (entries) => {
      const body: Record<string, unknown> = {};
      const plain: Record<string, unknown> = {};
      for (const [k, [v, asText]] of Object.entries(entries)) {
        const text = JSON.stringify(v);
        body[k] = asText && text !== undefined ? new JsonText(text) : v;
        plain[k] = v;
      }
      expect(bodyJson(body)).toBe(JSON.stringify(plain));
    }), { numRuns: 500 });
  });

  it('writes a submit answer as the order view it holds', () => {
    const view = '{"orderId":7,"clientOrderId":"a1","state":"ACCEPTED"}';
    expect(bodyJson({ ok: true, order: new JsonText(view), pending: false })).toBe(`{"ok":true,"order":${view},"pending":false}`);
  });
});
