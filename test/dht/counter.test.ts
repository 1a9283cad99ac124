import { describe, expect, it } from 'vitest';
import { Counter } from '../../src/dht/stats.ts';

describe('Counter', () => {
  it('counts a key the same whether by inc or by its slot, in get, total and snapshot', () => {
    const c = new Counter();
    const ping = c.slot('ping');
    expect(c.slot('find_node')).not.toBe(ping);
    expect(c.slot('ping')).toBe(ping);
    c.inc('ping');
    c.incSlot(ping);
    c.incSlot(ping);
    c.inc(203);
    c.inc('vote');
    expect(c.get('ping')).toBe(3);
    expect(c.get('find_node')).toBe(0);
    expect(c.get(203)).toBe(1);
    expect(c.total).toBe(5);
    // A slot never counted does not show, like a key never passed to inc.
    expect(c.snapshot()).toEqual({ total: 5, ping: 3, 203: 1, vote: 1 });
  });
});
