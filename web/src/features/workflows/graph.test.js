import { describe, expect, it } from 'vitest';
import { exampleDefinition, toGraph } from './graph.js';

describe('toGraph', () => {
  it('draws depends_on and condition branches as edges, in dependency layers', () => {
    const { nodes, edges } = toGraph(exampleDefinition, 'big');
    expect(nodes.map((n) => n.id)).toEqual(['a', 'c', 'big', 'small', 'wait', 'ok']);
    expect(edges.map((e) => e.id)).toEqual(expect.arrayContaining(['a->c', 'c-then->big', 'c-else->small', 'big->wait', 'wait->ok']));
    const x = Object.fromEntries(nodes.map((n) => [n.id, n.position.x]));
    expect(x.a).toBeLessThan(x.c);
    expect(x.c).toBeLessThan(x.big);
    expect(x.big).toBe(x.small);
    expect(nodes.find((n) => n.id === 'big').className).toContain('wf-live');
  });
});
