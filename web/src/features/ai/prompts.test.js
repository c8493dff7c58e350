import { describe, expect, it } from 'vitest';
import { AxiosError } from 'axios';
import {
  coerceValue,
  collectValues,
  dailySeries,
  fieldErrors,
  formErrors,
  formatUsd,
  normalizeVariables,
  placeholders,
  promptNameProblem,
  runErrors,
  variableNameProblem,
  windowRange,
} from './prompts.js';
import { variablesChange } from './VersionDiff.jsx';

const axiosProblem = (errors) => new AxiosError('failed', 'ERR_BAD_REQUEST', {}, {}, { status: 422, data: { title: 'Unprocessable', detail: 'the body has errors', errors } });

describe('prompt names and variables', () => {
  it('checks names as the server does', () => {
    expect(promptNameProblem('lead.summary-v2_x')).toBeNull();
    expect(promptNameProblem('  ')).toMatch(/name/);
    expect(promptNameProblem('Lead Summary')).toMatch(/Lowercase/);
    expect(promptNameProblem('a'.repeat(101))).toMatch(/100/);
    expect(variableNameProblem('budget_2')).toBeNull();
    expect(variableNameProblem('2budget')).toMatch(/not starting with a digit/);
    expect(variableNameProblem('')).toMatch(/remove it/);
  });

  it('finds the {{placeholders}} of a template in order, once each', () => {
    expect(placeholders('Hi {{ name }}, {{plan}} for {{name}}; {{not valid}} {{x-y}} {{ {{ok}}')).toEqual(['name', 'plan', 'ok']);
    expect(placeholders('')).toEqual([]);
  });

  it('reads variables given as names or {name, type}', () => {
    expect(normalizeVariables(['a', { name: 'b', type: 'number' }, { name: 'c', type: 'weird' }, { type: 'json' }])).toEqual([
      { name: 'a', type: 'string' },
      { name: 'b', type: 'number' },
      { name: 'c', type: 'string' },
    ]);
    expect(normalizeVariables(null)).toEqual([]);
  });

  it('says what changed in the variables between two versions', () => {
    expect(variablesChange([{ name: 'a', type: 'string' }, { name: 'b', type: 'string' }], [{ name: 'b', type: 'number' }, { name: 'c', type: 'json' }])).toEqual([
      { kind: 'changed', text: 'b: string → number' },
      { kind: 'added', text: 'c (json)' },
      { kind: 'removed', text: 'a (string)' },
    ]);
  });
});

describe('test-run values', () => {
  it('turns each input into a value of its type, or says why not', () => {
    expect(coerceValue('string', 'x')).toEqual({ value: 'x' });
    expect(coerceValue('string', undefined)).toEqual({ value: '' });
    expect(coerceValue('number', '1200.5')).toEqual({ value: 1200.5 });
    expect(coerceValue('number', '')).toHaveProperty('error');
    expect(coerceValue('number', 'abc')).toHaveProperty('error');
    expect(coerceValue('boolean', true)).toEqual({ value: true });
    expect(coerceValue('boolean', false)).toEqual({ value: false });
    expect(coerceValue('json', '{"a": [1, 2]}')).toEqual({ value: { a: [1, 2] } });
    expect(coerceValue('json', '"text"')).toEqual({ value: 'text' });
    expect(coerceValue('json', '{"a": ').error).toMatch(/^Not valid JSON/);
  });

  it('collects every variable, with errors keyed as the server names them', () => {
    const variables = [
      { name: 'company', type: 'string' },
      { name: 'budget', type: 'number' },
      { name: 'urgent', type: 'boolean' },
      { name: 'extra', type: 'json' },
    ];
    expect(collectValues(variables, { company: 'Acme', budget: '5000', urgent: true, extra: '[1]' })).toEqual({ values: { company: 'Acme', budget: 5000, urgent: true, extra: [1] }, errors: {} });
    const { errors } = collectValues(variables, { company: 'Acme', budget: 'lots', extra: '{' });
    expect(Object.keys(errors)).toEqual(['variables.budget', 'variables.extra']);
  });
});

describe('problems to fields', () => {
  it('joins several messages for one field (problemOf keeps one)', () => {
    const error = axiosProblem([
      { field: 'template', message: '{{a}} is not a declared variable' },
      { field: 'template', message: '{{b}} is not a declared variable' },
      { field: 'name', message: 'is required' },
      { message: 'no field' },
    ]);
    expect(fieldErrors(error)).toEqual({ template: '{{a}} is not a declared variable {{b}} is not a declared variable', name: 'is required' });
    expect(fieldErrors(new Error('network'))).toEqual({});
  });

  it('sorts a prompt form 422 into the form fields, the variable rows sent, and the rest', () => {
    const fields = {
      name: 'lowercase letters',
      template: '{{x}} is not a declared variable',
      variables: "'y' is declared but the template never uses it",
      'variables[0]': 'a name is letters, digits and _',
      'variables[1].type': 'must be one of string, number, boolean, json',
      'variables[7].name': 'out of range',
      surprise: 'unknown',
    };
    expect(formErrors(fields, [11, 12])).toEqual({
      fields: { name: 'lowercase letters', template: '{{x}} is not a declared variable', variables: "'y' is declared but the template never uses it" },
      rows: { 11: { name: 'a name is letters, digits and _' }, 12: { type: 'must be one of string, number, boolean, json' } },
      other: { 'variables[7].name': 'out of range', surprise: 'unknown' },
    });
  });

  it('sorts a test-run error by variable, also under prompt. from the chat route', () => {
    expect(runErrors({ 'variables.budget': 'must be a number', 'prompt.variables.company': 'missing (string)', 'prompt.version': 'no such version', provider: 'unknown provider', 'prompt.name': 'no such prompt' })).toEqual({
      variables: { budget: 'must be a number', company: 'missing (string)' },
      fields: { version: 'no such version', provider: 'unknown provider' },
      other: { 'prompt.name': 'no such prompt' },
    });
  });
});

describe('usage helpers', () => {
  it('makes a window that ends now', () => {
    const now = Date.parse('2026-03-10T12:00:00Z');
    expect(windowRange('24h', now)).toEqual({ from: '2026-03-09T12:00:00.000Z', to: '2026-03-10T12:00:00.000Z' });
    expect(windowRange('30d', now).from).toBe('2026-02-08T12:00:00.000Z');
    expect(windowRange('bogus', now).from).toBe('2026-03-03T12:00:00.000Z'); // 7 days
  });

  it('gives every UTC day of the window a row, zero when it had no calls', () => {
    const rows = dailySeries([{ key: '2026-03-09', requests: 3, cost_usd: 0.25 }], '2026-03-08T12:00:00Z', '2026-03-10T11:00:00Z');
    expect(rows.map((r) => [r.key, r.label, r.requests, r.cost_usd])).toEqual([
      ['2026-03-08', 'Mar 8', 0, 0],
      ['2026-03-09', 'Mar 9', 3, 0.25],
      ['2026-03-10', 'Mar 10', 0, 0],
    ]);
  });

  it('writes USD amounts under a dollar with two significant digits, the rest in cents', () => {
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.000123)).toBe('$0.00012');
    expect(formatUsd(0.0425)).toBe('$0.043');
    expect(formatUsd(0.5)).toBe('$0.50');
    expect(formatUsd(0.999)).toBe('$1.00');
    expect(formatUsd(12.345)).toBe('$12.35');
    expect(formatUsd(1234.5)).toBe('$1,234.50');
    expect(formatUsd(null)).toBe('—');
  });
});
