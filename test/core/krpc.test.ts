import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backends } from '../helpers/backends.ts';
import { latin1, plain, text } from '../helpers/bytes.ts';
import { referenceDecodeKrpc } from '../helpers/reference-krpc.ts';
import { loadCore, type Core } from '../../src/core/index.ts';
import type { BencodeDict, BencodeInput } from '../../src/ground/bencode.ts';
import type { KrpcDecodeFailure, KrpcMessage, KrpcResponse, OutgoingMessage } from '../../src/ground/messages.ts';
import { toHex } from '../../src/util/hex.ts';

const ID = 'abcdefghij0123456789';
const HASH = 'mnopqrstuvwxyz123456';
const NODES = `${'N'.repeat(20)}\x7f\x00\x00\x01\x1a\xe1${'M'.repeat(20)}\x0a\x00\x00\x02\x00\x50`;

/** A bencode string literal for the latin1 text `s`. */
const str = (s: string): string => `${s.length}:${s}`;

function expectMessage(result: KrpcMessage | KrpcDecodeFailure): KrpcMessage {
  if (result.y === 'invalid') throw new Error(`expected a message, got ${JSON.stringify(plain(result))}`);
  return result;
}

/** The failure, with t as latin1 text, for compact expectations. */
function failure(result: KrpcMessage | KrpcDecodeFailure): Record<string, unknown> {
  if (result.y !== 'invalid') throw new Error(`expected a failure, got a ${result.y} message`);
  const out: Record<string, unknown> = { code: result.code, offset: result.offset };
  if (result.field !== undefined) out.field = result.field;
  if (result.t !== undefined) out.t = text(result.t);
  if (result.q !== undefined) out.q = result.q;
  return out;
}

/** Offset of the first occurrence of `needle` in the latin1 datagram `s`. */
const at = (s: string, needle: string): number => {
  const i = s.indexOf(needle);
  if (i < 0) throw new Error(`${needle} not in ${s}`);
  return i;
};

describe.each(backends)('KRPC on the %s backend', (backend) => {
  let core: Core;
  beforeAll(async () => {
    core = await loadCore(backend);
  });
  const decode = (s: string): KrpcMessage | KrpcDecodeFailure => core.decodeKrpc(latin1(s));

  describe('decode queries', () => {
    it('decodes a ping, byte strings as subarrays of the datagram', () => {
      const s = `d1:ad2:id${str(ID)}e1:q4:ping1:t2:aa1:y1:qe`;
      const datagram = latin1(s);
      const m = expectMessage(core.decodeKrpc(datagram));
      expect(m.y).toBe('q');
      if (m.y !== 'q') return;
      expect(m.q).toBe('ping');
      expect(text(m.t)).toBe('aa');
      expect(text(m.a.id!)).toBe(ID);
      expect(Object.keys(m.a)).toEqual(['id']);
      expect(m.datagram).toBe(datagram);
      expect(m.t.buffer).toBe(datagram.buffer);
      expect(m.t.byteOffset).toBe(datagram.byteOffset + at(s, '2:aa') + 2);
      expect(m.a.id!.buffer).toBe(datagram.buffer);
      expect(m.a.id!.byteOffset).toBe(at(s, ID));
      expect(m.bodyStart).toBe(4);
      expect(m.bodyEnd).toBe(at(s, 'e1:q') + 1);
      expect(m.v).toBeUndefined();
      expect(m.ro).toBeUndefined();
    });

    it.each([
      ['id and target', `d1:ad2:id${str(ID)}6:target${str(HASH)}e1:q9:find_node1:t2:aa1:y1:qe`, { id: ID, target: HASH }],
      ['id and info_hash', `d1:ad2:id${str(ID)}9:info_hash${str(HASH)}e1:q9:get_peers1:t2:aa1:y1:qe`, { id: ID, info_hash: HASH }],
      ['id, info_hash and target', `d1:ad2:id${str(ID)}9:info_hash${str(HASH)}6:target${str(ID)}e1:q9:get_peers1:t2:aa1:y1:qe`, { id: ID, info_hash: HASH, target: ID }],
      ['target and info_hash without id', `d1:ad9:info_hash${str(HASH)}6:target${str(ID)}e1:q9:get_peers1:t2:aa1:y1:qe`, { info_hash: HASH, target: ID }],
      ['id and a token', `d1:ad2:id${str(ID)}5:token2:tke1:q4:ping1:t2:aa1:y1:qe`, { id: ID, token: 'tk' }],
    ])('keeps every argument of a query with %s', (_, s, expected) => {
      const m = expectMessage(decode(s));
      if (m.y !== 'q') throw new Error('not a query');
      expect(Object.fromEntries(Object.entries(m.a).map(([key, value]) => [key, text(value as Uint8Array)]))).toEqual(expected);
      expect(plain(m)).toEqual(plain(referenceDecodeKrpc(latin1(s))));
    });

    it('decodes from an offset view (a Buffer slice of a larger pool)', () => {
      const s = `d1:ad2:id${str(ID)}e1:q4:ping1:t2:aa1:y1:qe`;
      const pool = latin1(`junk${s}junk`);
      const view = pool.subarray(4, 4 + s.length);
      const m = expectMessage(core.decodeKrpc(view));
      expect(text(m.t)).toBe('aa');
      expect(m.t.byteOffset).toBe(4 + at(s, '2:aa') + 2);
      expect(m.bodyStart).toBe(4);
    });

    it('decodes find_node, get_peers and announce_peer arguments', () => {
      const find = expectMessage(decode(`d1:ad2:id${str(ID)}6:target${str(HASH)}e1:q9:find_node1:t2:fn1:y1:qe`));
      expect(find.y === 'q' && find.q).toBe('find_node');
      expect(find.y === 'q' && text(find.a.target!)).toBe(HASH);

      const get = expectMessage(decode(`d1:ad2:id${str(ID)}9:info_hash${str(HASH)}4:wantl2:n42:n6ee1:q9:get_peers1:t2:gp1:y1:qe`));
      if (get.y !== 'q') throw new Error('not a query');
      expect(get.q).toBe('get_peers');
      expect(text(get.a.info_hash!)).toBe(HASH);
      expect(get.a.want).toEqual(['n4', 'n6']);

      const announce = expectMessage(
        decode(`d1:ad2:id${str(ID)}12:implied_porti1e9:info_hash${str(HASH)}4:porti6881e5:token8:\x00\x01\x02\x03tokee1:q13:announce_peer2:roi1e1:t2:ap1:v4:LT011:y1:qe`),
      );
      if (announce.y !== 'q') throw new Error('not a query');
      expect(announce.q).toBe('announce_peer');
      expect(announce.a.implied_port).toBe(1);
      expect(announce.a.port).toBe(6881);
      expect([...announce.a.token!]).toEqual([0, 1, 2, 3, 0x74, 0x6f, 0x6b, 0x65]);
      expect(announce.ro).toBe(1);
      expect(text(announce.v!)).toBe('LT01');
    });

    it('keeps unknown methods and want entries as latin1', () => {
      const m = expectMessage(decode(`d1:ad2:id${str(ID)}4:wantl2:n43:\xff\x00zee1:q17:sample_infohashes1:t1:x1:y1:qe`));
      if (m.y !== 'q') throw new Error('not a query');
      expect(m.q).toBe('sample_infohashes');
      expect(m.a.want).toEqual(['n4', '\xff\x00z']);
      expect(decode(`d1:ad2:id${str(ID)}e1:q2:\xe9\x80\x31:t1:x1:y1:qe`)).toMatchObject({ q: '\xe9\x80' });
    });

    it('ignores unknown keys but keeps them inside the body range', () => {
      const a = `d2:id${str(ID)}4:nodei3e6:noseedl1:xd1:ai1eee6:target${str(HASH)}1:zdee`;
      const s = `d1:a${a}1:q9:find_node1:t2:aa1:y1:q4:zzzzi9ee`;
      const m = expectMessage(decode(s));
      if (m.y !== 'q') throw new Error('not a query');
      expect(Object.keys(m.a).sort()).toEqual(['id', 'target']);
      expect(m.bodyStart).toBe(4);
      expect(m.bodyEnd).toBe(4 + a.length);
      expect(text(m.datagram.subarray(m.bodyStart, m.bodyEnd))).toBe(a);
      expect(Object.keys(core.decode(m.datagram.subarray(m.bodyStart, m.bodyEnd)) as object)).toEqual(['id', 'node', 'noseed', 'target', 'z']);
    });

    it.each([0, 1, 2, 3, 4, 5, 6, 7, 8, 20, 300])('echoes a %i-byte transaction id verbatim', (n) => {
      const t = Array.from({ length: n }, (_, i) => String.fromCharCode((i * 37 + 1) & 0xff)).join('');
      const m = expectMessage(decode(`d1:ad2:id${str(ID)}e1:q4:ping1:t${str(t)}1:y1:qe`));
      expect(text(m.t)).toBe(t);
    });

    it('accepts what the node checks later: short ids, odd ports, empty want', () => {
      const m = expectMessage(decode('d1:ad2:id1:x4:porti-5e4:wantlee1:q4:ping1:t0:1:y1:qe'));
      if (m.y !== 'q') throw new Error('not a query');
      expect(text(m.a.id!)).toBe('x');
      expect(m.a.port).toBe(-5);
      expect(m.a.want).toEqual([]);
    });
  });

  describe('decode responses and errors', () => {
    it('decodes a find_node response with nodes, nodes6 and ip', () => {
      const nodes6 = 'Q'.repeat(38);
      const s = `d2:ip6:\x7f\x00\x00\x01\x1a\xe11:rd2:id${str(ID)}5:nodes${str(NODES)}6:nodes6${str(nodes6)}e1:t2:aa1:y1:re`;
      const m = expectMessage(decode(s));
      if (m.y !== 'r') throw new Error('not a response');
      expect(text(m.r.id!)).toBe(ID);
      expect(text(m.r.nodes!)).toBe(NODES);
      expect(text(m.r.nodes6!)).toBe(nodes6);
      expect([...m.ip!]).toEqual([127, 0, 0, 1, 0x1a, 0xe1]);
      expect(m.bodyStart).toBe(at(s, '1:rd') + 3);
      expect(m.bodyEnd).toBe(at(s, 'e1:t') + 1);
    });

    it('decodes a get_peers response with token and values', () => {
      const s = `d1:rd2:id${str(ID)}5:token8:aoeusnth6:valuesl6:axje.u6:idhtnme1:xi1ee1:t2:aa1:y1:re`;
      const m = expectMessage(decode(s));
      if (m.y !== 'r') throw new Error('not a response');
      expect(text(m.r.token!)).toBe('aoeusnth');
      expect(m.r.values!.toArray().map(text)).toEqual(['axje.u', 'idhtnm']);
      expect(m.r.values!.at(1)!.byteOffset).toBe(at(s, 'idhtnm'));
      expect(Object.keys(m.r).sort()).toEqual(['id', 'token', 'values']);
    });

    it('decodes errors: code, UTF-8 message, extra items ignored, body range 0/0', () => {
      const m = expectMessage(decode('d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee'));
      expect(m).toMatchObject({ y: 'e', e: { code: 201, message: 'A Generic Error Ocurred' }, bodyStart: 0, bodyEnd: 0 });
      const utf8 = new TextEncoder().encode('\ufeffpas de r\u00e9ponse \u{1f600}');
      const s = `d1:eli-3e${utf8.length}:${text(utf8)}i9ee1:t0:1:v2:UT1:y1:ee`;
      const e = expectMessage(decode(s));
      if (e.y !== 'e') throw new Error('not an error');
      expect(e.e).toEqual({ code: -3, message: '\ufeffpas de r\u00e9ponse \u{1f600}' });
      expect(text(e.v!)).toBe('UT');
      const bad = expectMessage(decode('d1:eli202e3:a\xffbe1:t0:1:y1:ee'));
      expect(bad.y === 'e' && bad.e.message).toBe('a\ufffdb');
    });
  });

  describe('decode failures', () => {
    it('returns bencode faults with the generic decoder code and offset, without t or q', () => {
      expect(failure(decode(''))).toEqual({ code: 'unexpected-end', offset: 0 });
      expect(failure(decode('d1:t2:aa1:y1:q1:q4:pinge'))).toEqual({ code: 'unsorted-keys', offset: 14 });
      expect(failure(decode('d1:t2:aa1:y1:qe1:q'))).toEqual({ code: 'trailing-bytes', offset: 15 });
      expect(failure(decode('d1:ad2:id2:aae1:q4:ping1:t2:aa1:y1:q'))).toEqual({ code: 'unexpected-end', offset: 36 });
      expect(failure(decode('d1:ad2:idi01ee1:q4:ping1:t2:aa1:y1:qe'))).toEqual({ code: 'leading-zero', offset: 10 });
      expect(failure(decode(`d1:a${'l'.repeat(64)}${'e'.repeat(64)}1:t0:1:y1:qe`))).toEqual({ code: 'too-deep', offset: 67 });
    });

    it('rejects a top level that is not a dict, after validating it', () => {
      expect(failure(decode('le'))).toEqual({ code: 'not-a-dict', offset: 0 });
      expect(failure(decode('i1e'))).toEqual({ code: 'not-a-dict', offset: 0 });
      expect(failure(decode('4:spam'))).toEqual({ code: 'not-a-dict', offset: 0 });
      expect(failure(decode('l1:t'))).toEqual({ code: 'unexpected-end', offset: 4 });
      expect(failure(decode('lex'))).toEqual({ code: 'trailing-bytes', offset: 2 });
    });

    it.each<[string, string, string]>([
      ['a', 'd1:ai1e1:q4:ping1:t2:aa1:y1:qe', 'i1e1:q'],
      ['e', 'd1:e3:abc1:t2:aa1:y1:ee', '3:abc1:t'],
      ['ip', 'd2:ipi1e1:rde1:t2:aa1:y1:re', 'i1e1:r'],
      ['q', 'd1:ade1:qle1:t2:aa1:y1:qe', 'le1:t'],
      ['r', 'd1:rle1:t2:aa1:y1:re', 'le1:t'],
      ['ro', 'd1:ade1:q4:ping2:ro1:x1:t2:aa1:y1:qe', '1:x1:t'],
      ['ro', 'd1:ade1:q4:ping2:roi9007199254740992e1:t2:aa1:y1:qe', 'i9007'],
      ['t', 'd1:ade1:q4:ping1:ti7e1:y1:qe', 'i7e1:y'],
      ['v', 'd1:ade1:q4:ping1:t2:aa1:vde1:y1:qe', 'de1:y'],
      ['y', 'd1:ade1:q4:ping1:t2:aa1:yi1ee', 'i1ee'],
    ])('rejects a top-level %s of the wrong type at its value', (field, s, valueText) => {
      const result = failure(decode(s));
      expect(result).toMatchObject({ code: 'wrong-type', field, offset: at(s, valueText) });
    });

    it('attaches t and q to semantic failures when they are strings', () => {
      expect(failure(decode('d1:ai1e1:q4:ping1:t2:aa1:y1:qe'))).toEqual({ code: 'wrong-type', offset: 4, field: 'a', t: 'aa', q: 'ping' });
      expect(failure(decode('d1:ai1e1:qi1e1:ti2e1:y1:qe'))).toEqual({ code: 'wrong-type', offset: 4, field: 'a' });
      // t is reported even when its own check comes later than the fault
      expect(failure(decode('d1:ai1e1:t3:xyz1:y1:re'))).toEqual({ code: 'wrong-type', offset: 4, field: 'a', t: 'xyz' });
    });

    it('walks the top level in key order: the first wrong key wins, before any missing field', () => {
      const s = 'd1:ai1e2:ro1:x1:vi1e1:yi1ee';
      expect(failure(decode(s))).toEqual({ code: 'wrong-type', offset: 4, field: 'a' });
      expect(failure(decode('d1:q4:ping2:ro1:x1:vi1ee'))).toEqual({ code: 'wrong-type', offset: at('d1:q4:ping2:ro1:x1:vi1ee', '1:x1:v'), field: 'ro', q: 'ping' });
    });

    it('reports missing fields at offset 0 in the order t, y, then q / a, r, e', () => {
      expect(failure(decode('de'))).toEqual({ code: 'missing-field', offset: 0, field: 't' });
      expect(failure(decode('d1:q4:ping1:y1:qe'))).toEqual({ code: 'missing-field', offset: 0, field: 't', q: 'ping' });
      expect(failure(decode('d1:ade1:q4:ping1:t2:aae'))).toEqual({ code: 'missing-field', offset: 0, field: 'y', t: 'aa', q: 'ping' });
      expect(failure(decode('d1:ade1:t2:aa1:y1:qe'))).toEqual({ code: 'missing-field', offset: 0, field: 'q', t: 'aa' });
      expect(failure(decode('d1:q4:ping1:t2:aa1:y1:qe'))).toEqual({ code: 'missing-field', offset: 0, field: 'a', t: 'aa', q: 'ping' });
      expect(failure(decode('d1:ade1:t2:aa1:y1:re'))).toEqual({ code: 'missing-field', offset: 0, field: 'r', t: 'aa' });
      expect(failure(decode('d1:rde1:t2:aa1:y1:ee'))).toEqual({ code: 'missing-field', offset: 0, field: 'e', t: 'aa' });
    });

    it.each(['0:', '1:x', '2:qq', '1:Q', '5:query'])('rejects y = %j as unknown-type at its value', (y) => {
      const s = `d1:t2:aa1:y${y}e`;
      expect(failure(decode(s))).toEqual({ code: 'unknown-type', offset: at(s, `1:y${y}`) + 3, field: 'y', t: 'aa' });
    });

    it.each(['le', 'l1:xe', 'li201ee', 'li201ei5ee', 'l3:msgi201ee', 'li9007199254740992e1:xe', 'lli1ee1:xe'])(
      'rejects e = %s as wrong-type at the list',
      (e) => {
        const s = `d1:e${e}1:t2:aa1:y1:ee`;
        expect(failure(decode(s))).toEqual({ code: 'wrong-type', offset: 4, field: 'e', t: 'aa' });
      },
    );

    it.each<[string, string, string]>([
      ['id', 'd2:idi1ee', 'i1e'],
      ['implied_port', 'd12:implied_port1:1e', '1:1'],
      ['implied_port', 'd12:implied_porti-9007199254740993ee', 'i-9'],
      ['info_hash', 'd9:info_hashlee', 'lee'],
      ['port', 'd4:port4:6881e', '4:6881'],
      ['target', 'd6:targetdee', 'dee'],
      ['token', 'd5:tokeni0ee', 'i0e'],
      ['want', 'd4:want2:n4e', '2:n4'],
      ['want', 'd4:wantl2:n4i4eee', 'l2:n4'],
    ])('rejects query argument %s of the wrong type at its value, with t and q', (field, a, valueText) => {
      const s = `d1:a${a}1:q9:get_peers1:t2:aa1:y1:qe`;
      expect(failure(decode(s))).toEqual({ code: 'wrong-type', offset: 4 + at(a, valueText), field, t: 'aa', q: 'get_peers' });
    });

    it.each<[string, string, string]>([
      ['id', 'd2:idlee', 'lee'],
      ['nodes', 'd5:nodesi0ee', 'i0e'],
      ['nodes6', 'd6:nodes6dee', 'dee'],
      ['token', 'd5:tokenlee', 'lee'],
      ['values', 'd6:values6:abcdefe', '6:abcdef'],
      ['values', 'd6:valuesl6:abcdefl6:abcdefeee', 'l6:abcdefl'],
    ])('rejects response value %s of the wrong type at its value', (field, r, valueText) => {
      const s = `d1:r${r}1:t2:aa1:y1:re`;
      expect(failure(decode(s))).toEqual({ code: 'wrong-type', offset: 4 + at(r, valueText), field, t: 'aa' });
    });

    it('checks the body in key order, and only the body of the message type', () => {
      const s = 'd1:ad2:idi1e4:port1:xe1:q4:ping1:t2:aa1:y1:qe';
      expect(failure(decode(s))).toEqual({ code: 'wrong-type', offset: 9, field: 'id', t: 'aa', q: 'ping' });
      // a query's `r` and a response's `a` are not looked into (beyond their own type)
      expect(decode(`d1:ad2:id${str(ID)}e1:q4:ping1:rd5:nodesi1ee1:t2:aa1:y1:qe`).y).toBe('q');
      expect(decode(`d1:ad2:idi1ee1:rd2:id${str(ID)}e1:t2:aa1:y1:re`).y).toBe('r');
      // keys of the other body are unknown keys here
      expect(decode(`d1:ad2:id${str(ID)}5:nodesi1ee1:q4:ping1:t2:aa1:y1:qe`).y).toBe('q');
    });

    it('never throws on garbage', () => {
      for (const s of ['\x00', 'd', 'd1:', 'dd', 'd1:ad', 'd1:ad2:id', 'i-', '99999999999999:', 'd1:al'.repeat(100)]) {
        expect(() => decode(s)).not.toThrow();
        expect(decode(s).y).toBe('invalid');
      }
    });
  });

  describe('encode', () => {
    const id = latin1(ID);
    const t = latin1('aa');

    it('encodes a ping query, its response and an error like BEP 5', () => {
      expect(text(core.encodeKrpc({ y: 'q', t, q: 'ping', a: { id } }))).toBe(`d1:ad2:id${str(ID)}e1:q4:ping1:t2:aa1:y1:qe`);
      expect(text(core.encodeKrpc({ y: 'r', t, r: { id } }))).toBe(`d1:rd2:id${str(ID)}e1:t2:aa1:y1:re`);
      expect(text(core.encodeKrpc({ y: 'e', t, e: { code: 201, message: 'A Generic Error Ocurred' } })))
        .toBe('d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee');
    });

    it('writes every known field in key order, with v, ro and ip', () => {
      const hash = latin1(HASH);
      const token = Uint8Array.of(0, 255);
      const query = core.encodeKrpc({
        y: 'q', t, q: 'announce_peer', v: latin1('BT01'), ro: 1,
        a: { want: ['n4', 'n6'], token, target: hash, port: 6881, info_hash: hash, implied_port: 0, id },
      });
      expect(text(query)).toBe(
        `d1:ad2:id${str(ID)}12:implied_porti0e9:info_hash${str(HASH)}4:porti6881e6:target${str(HASH)}5:token2:\x00\xff4:wantl2:n42:n6ee` +
          '1:q13:announce_peer2:roi1e1:t2:aa1:v4:BT011:y1:qe',
      );
      const values = [latin1('abcdef'), latin1('ghijkl')];
      const response = core.encodeKrpc({
        y: 'r', t, ip: Uint8Array.of(1, 2, 3, 4, 0, 80), v: latin1('UT'),
        r: { values, token, nodes6: latin1('6'.repeat(38)), nodes: latin1(NODES), id },
      });
      expect(text(response)).toBe(
        `d2:ip6:\x01\x02\x03\x04\x00\x501:rd2:id${str(ID)}5:nodes${str(NODES)}6:nodes6${str('6'.repeat(38))}5:token2:\x00\xff6:valuesl6:abcdef6:ghijklee` +
          '1:t2:aa1:v2:UT1:y1:re',
      );
    });

    it('encodes the error message as UTF-8', () => {
      const bytes = core.encodeKrpc({ y: 'e', t, e: { code: 203, message: 'r\u00e9ponse' } });
      expect(text(bytes)).toBe('d1:eli203e8:r\xc3\xa9ponsee1:t2:aa1:y1:ee');
    });

    it('merges extra keys into the body in byte order', () => {
      const bytes = core.encodeKrpc({
        y: 'r', t, r: { id, token: latin1('tk') },
        extra: { zz: 1, a: latin1('x'), idz: [], 'nodes\x00': { k: 2 }, p: latin1('y'), tokenz: latin1('') },
      });
      expect(text(bytes)).toBe(`d1:rd1:a1:x2:id${str(ID)}3:idzle6:nodes\x00d1:ki2ee1:p1:y5:token2:tk6:tokenz0:2:zzi1ee1:t2:aa1:y1:re`);
      const query = core.encodeKrpc({ y: 'q', t, q: 'x', a: { id }, extra: { seq: 3, cas: undefined } as unknown as BencodeDict });
      expect(text(query)).toBe(`d1:ad2:id${str(ID)}3:seqi3ee1:q1:x1:t2:aa1:y1:qe`);
    });

    it('rejects an extra key that names a known field, set or not (it would bypass the field type checks)', () => {
      expect(() => core.encodeKrpc({ y: 'q', t, q: 'ping', a: { id }, extra: { id } })).toThrow(TypeError);
      expect(() => core.encodeKrpc({ y: 'r', t, r: { id, token: t }, extra: { token: t } })).toThrow(TypeError);
      expect(() => core.encodeKrpc({ y: 'q', t, q: 'announce_peer', a: { id }, extra: { port: latin1('80') } })).toThrow(TypeError);
      expect(() => core.encodeKrpc({ y: 'r', t, r: { id }, extra: { values: 1 } })).toThrow(TypeError);
      // a name known only to the other body is just an extra key here
      expect(text(core.encodeKrpc({ y: 'r', t, r: { id }, extra: { port: 1 } }))).toBe(`d1:rd2:id${str(ID)}4:porti1ee1:t2:aa1:y1:re`);
    });

    it.each<[string, unknown]>([
      ['t not bytes', { y: 'q', t: 'aa', q: 'ping', a: { id } }],
      ['unknown y', { y: 'x', t, q: 'ping', a: { id } }],
      ['q not a string', { y: 'q', t, q: 1, a: { id } }],
      ['q wider than latin1', { y: 'q', t, q: 'p\u0100', a: { id } }],
      ['a not an object', { y: 'q', t, q: 'ping', a: 5 }],
      ['id not bytes', { y: 'q', t, q: 'ping', a: { id: ID } }],
      ['port a float', { y: 'q', t, q: 'announce_peer', a: { id, port: 1.5 } }],
      ['port a string', { y: 'q', t, q: 'announce_peer', a: { id, port: '80' } }],
      ['want not a list', { y: 'q', t, q: 'find_node', a: { id, want: 'n4' } }],
      ['want with bytes', { y: 'q', t, q: 'find_node', a: { id, want: [latin1('n4')] } }],
      ['ro a boolean', { y: 'q', t, q: 'ping', a: { id }, ro: true }],
      ['v a string', { y: 'q', t, q: 'ping', a: { id }, v: 'LT01' }],
      ['values with a string', { y: 'r', t, r: { id, values: ['abcdef'] } }],
      ['nodes a list', { y: 'r', t, r: { id, nodes: [] } }],
      ['ip a number', { y: 'r', t, r: { id }, ip: 1 }],
      ['e.code a float', { y: 'e', t, e: { code: 201.5, message: 'x' } }],
      ['e.message bytes', { y: 'e', t, e: { code: 201, message: latin1('x') } }],
      ['extra with a boolean', { y: 'r', t, r: { id }, extra: { x: true } }],
      ['extra key wider than latin1', { y: 'r', t, r: { id }, extra: { '\u0100': 1 } }],
    ])('throws a TypeError for %s', (_, message) => {
      expect(() => core.encodeKrpc(message as OutgoingMessage)).toThrow(TypeError);
      // and the shared buffer is clean afterwards
      expect(text(core.encodeKrpc({ y: 'r', t, r: { id } }))).toBe(`d1:rd2:id${str(ID)}e1:t2:aa1:y1:re`);
    });

    it('round-trips through decodeKrpc', () => {
      const messages: OutgoingMessage[] = [
        { y: 'q', t: latin1(''), q: 'get_peers', a: { id, info_hash: latin1(HASH), want: ['n4'] }, ro: 1, v: latin1('BT') },
        { y: 'r', t: Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8), r: { id, token: latin1('tok'), values: [latin1('123456')], nodes: latin1(NODES) }, ip: latin1('\x7f\x00\x00\x01\x00\x01') },
        { y: 'e', t, e: { code: 204, message: 'Method Unknown \u2603' }, v: latin1('v') },
      ];
      for (const message of messages) {
        const bytes = core.encodeKrpc(message);
        const decoded = expectMessage(core.decodeKrpc(bytes));
        const { datagram, bodyStart, bodyEnd, ...fields } = decoded;
        expect(datagram).toBe(bytes);
        // Received values are one packed view; sent ones an array of the same items.
        const received = fields.y === 'r' && fields.r.values ? { ...fields, r: { ...fields.r, values: fields.r.values.toArray() } } : fields;
        expect(plain(received)).toEqual(plain(message));
        const body = message.y === 'q' ? message.a : message.y === 'r' ? message.r : undefined;
        if (body) expect(text(bytes.subarray(bodyStart, bodyEnd))).toBe(text(core.encode(body as unknown as BencodeInput)));
        else expect([bodyStart, bodyEnd]).toEqual([0, 0]);
      }
    });
  });
});

// ---- differential fuzz: every backend against the spec oracle (and so against each other) ----

const bytesArb = fc.uint8Array({ maxLength: 24 });
/** A value of any bencode type, small. */
const anyValue: fc.Arbitrary<BencodeInput> = fc.oneof(
  bytesArb,
  fc.integer({ min: -1000, max: 70000 }),
  fc.constantFrom(2n ** 60n, -(2n ** 60n)),
  fc.array(bytesArb, { maxLength: 3 }),
  fc.array(fc.oneof(bytesArb, fc.integer()), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('x', 'id', 'n'), bytesArb, { maxKeys: 2 }),
);
/** Mostly well-typed, sometimes not: exercises every check in turn. */
const field = <T extends BencodeInput>(good: fc.Arbitrary<T>): fc.Arbitrary<BencodeInput> =>
  fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: anyValue });
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });

const argsArb = fc.record({
  id: optional(field(fc.uint8Array({ minLength: 20, maxLength: 20 }))),
  target: optional(field(bytesArb)),
  info_hash: optional(field(bytesArb)),
  token: optional(field(bytesArb)),
  port: optional(field(fc.integer({ min: 0, max: 65535 }))),
  implied_port: optional(field(fc.integer({ min: 0, max: 1 }))),
  want: optional(field(fc.subarray(['n4', 'n6']).map((w) => w.map((s) => latin1(s))))),
  unknown: optional(anyValue),
});
const valuesArb = fc.record({
  id: optional(field(fc.uint8Array({ minLength: 20, maxLength: 20 }))),
  nodes: optional(field(fc.uint8Array({ maxLength: 52 }))),
  nodes6: optional(field(bytesArb)),
  token: optional(field(bytesArb)),
  values: optional(field(fc.array(fc.uint8Array({ minLength: 6, maxLength: 6 }), { maxLength: 4 }))),
  samples: optional(anyValue),
});
/** Any mix of the top-level keys, each maybe missing or of the wrong type. */
const looseDict = fc.record({
  a: optional(field(argsArb)),
  e: optional(field(fc.tuple(fc.integer({ min: 200, max: 299 }), fc.uint8Array({ maxLength: 12 })))),
  ip: optional(field(fc.uint8Array({ minLength: 6, maxLength: 6 }))),
  q: optional(field(fc.constantFrom('ping', 'find_node', 'get_peers', 'announce_peer', 'x').map(latin1))),
  r: optional(field(valuesArb)),
  ro: optional(field(fc.constantFrom(0, 1))),
  t: optional(field(fc.uint8Array({ maxLength: 9 }))),
  v: optional(field(fc.uint8Array({ minLength: 4, maxLength: 4 }))),
  y: optional(field(fc.constantFrom('q', 'r', 'e', 'x', 'qq').map(latin1))),
  z: optional(anyValue),
});
/** Well-formed envelopes of each type, whose bodies may still be wrong. */
const envelope = { t: fc.uint8Array({ maxLength: 9 }), v: optional(fc.uint8Array({ minLength: 4, maxLength: 4 })), z: optional(anyValue) };
const queryDict = fc.record({ ...envelope, y: fc.constant(latin1('q')), q: fc.constantFrom('ping', 'get_peers', 'x').map(latin1), a: argsArb, ro: optional(fc.constantFrom(0, 1)) });
const responseDict = fc.record({ ...envelope, y: fc.constant(latin1('r')), r: valuesArb, ip: optional(fc.uint8Array({ minLength: 6, maxLength: 6 })) });
const errorDict = fc.record({ ...envelope, y: fc.constant(latin1('e')), e: fc.tuple(fc.integer({ min: 200, max: 299 }), fc.uint8Array({ maxLength: 12 })) });
const datagramDict: fc.Arbitrary<BencodeInput> = fc.oneof(looseDict, queryDict, responseDict, errorDict);

type Mutation = { kind: 'flip' | 'insert' | 'delete'; at: number; byte: number };
const mutations = fc.oneof(fc.constant([] as Mutation[]), fc.array(
  fc.record({ kind: fc.constantFrom('flip', 'insert', 'delete'), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }) as fc.Arbitrary<Mutation>,
  { minLength: 1, maxLength: 3 },
));
function mutate(bytes: Uint8Array, list: Mutation[]): Uint8Array {
  const out = [...bytes];
  for (const m of list) {
    if (m.kind === 'insert') out.splice(m.at % (out.length + 1), 0, m.byte);
    else if (out.length === 0) continue;
    else if (m.kind === 'delete') out.splice(m.at % out.length, 1);
    else out[m.at % out.length] = out[m.at % out.length]! ^ (1 << (m.byte & 7));
  }
  return Uint8Array.from(out);
}

describe.each(backends)('KRPC decode fuzz on the %s backend', (backend) => {
  let core: Core;
  let js: Core;
  beforeAll(async () => {
    core = await loadCore(backend);
    js = await loadCore('js');
  });

  it('matches the spec oracle and the js backend on random and mutated datagrams', () => {
    let messages = 0;
    fc.assert(
      fc.property(datagramDict, mutations, (dict, list) => {
        const datagram = mutate(js.encode(dict), list);
        const expected = plain(referenceDecodeKrpc(datagram));
        const result = core.decodeKrpc(datagram);
        if (result.y !== 'invalid') messages++;
        expect(plain(result)).toEqual(expected);
        expect(plain(js.decodeKrpc(datagram))).toEqual(expected);
      }),
      { numRuns: 4000 },
    );
    // the generator must reach the success paths too, or the comparison proves little
    expect(messages).toBeGreaterThan(100);
  });

  /** The one-pass layouts against the oracle and the js backend: each canonical datagram whole, mutated and cut. */
  const agreesOnLayout = (canonical: fc.Arbitrary<Record<string, unknown>>, y: 'q' | 'r'): void => {
    let messages = 0;
    fc.assert(
      fc.property(canonical, mutations, fc.nat(), (dict, list, cut) => {
        const whole = js.encode(dict as unknown as BencodeInput);
        for (const datagram of [whole, mutate(whole, list), whole.subarray(0, cut % (whole.length + 1))]) {
          const expected = plain(referenceDecodeKrpc(datagram));
          const result = core.decodeKrpc(datagram);
          if (result.y === y) messages++;
          expect(plain(result)).toEqual(expected);
          expect(plain(js.decodeKrpc(datagram))).toEqual(expected);
          if (result.y === 'r' && result.r.values) expect(result.r.values.toArray().map(toHex)).toEqual([...(referenceDecodeKrpc(datagram) as KrpcResponse).r.values!].map(toHex));
        }
      }),
      { numRuns: 3000 },
    );
    expect(messages).toBeGreaterThan(3000);
  };

  it('matches the oracle on the one-pass query layout (assembly/krpc-fast.ts) and on every mutation of it', () => {
    // Exactly `d1:ad2:id20:…[6:target|9:info_hash]e1:q…1:t…[1:v…]1:y1:qe`, then flipped, cut and grown.
    const canonical = fc.record({
      t: fc.uint8Array({ maxLength: 120 }),
      q: fc.constantFrom('ping', 'find_node', 'get_peers', 'announce_peer', 'x', '', 'a'.repeat(150)).map(latin1),
      a: fc.oneof(
        fc.record({ id: fc.uint8Array({ minLength: 20, maxLength: 20 }) }),
        fc.record({ id: fc.uint8Array({ minLength: 20, maxLength: 20 }), target: fc.uint8Array({ minLength: 20, maxLength: 20 }) }),
        fc.record({ id: fc.uint8Array({ minLength: 20, maxLength: 20 }), info_hash: fc.uint8Array({ minLength: 20, maxLength: 20 }) }),
        fc.record({ id: fc.uint8Array({ minLength: 19, maxLength: 21 }), info_hash: fc.uint8Array({ minLength: 19, maxLength: 21 }) }),
      ),
      v: optional(fc.uint8Array({ maxLength: 12 })),
      y: fc.constant(latin1('q')),
    });
    agreesOnLayout(canonical, 'q');
  });

  it('matches the oracle on the one-pass response layout (assembly/krpc-fast.ts) and on every mutation of it', () => {
    // Exactly `d[2:ip…]1:rd2:id20:…[5:nodes…][5:token…][6:valuesl…e]e1:t…[1:v…]1:y1:re`, then flipped, cut and grown.
    const item = fc.oneof(fc.uint8Array({ minLength: 6, maxLength: 6 }), fc.uint8Array({ minLength: 18, maxLength: 18 }), fc.uint8Array({ maxLength: 12 }));
    const canonical = fc.record({
      ip: optional(fc.uint8Array({ minLength: 6, maxLength: 6 })),
      r: fc.record(
        {
          id: fc.oneof(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.uint8Array({ minLength: 19, maxLength: 21 })),
          nodes: fc.uint8Array({ maxLength: 26 * 9 }),
          token: fc.uint8Array({ maxLength: 20 }),
          values: fc.array(item, { maxLength: 60 }),
        },
        { requiredKeys: ['id'] },
      ),
      t: fc.uint8Array({ maxLength: 120 }),
      v: optional(fc.uint8Array({ maxLength: 12 })),
      y: fc.constant(latin1('r')),
    });
    agreesOnLayout(canonical, 'r');
  });

  it('agrees with the generic decoder on every bencode fault', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), datagramDict, mutations, (noise, dict, list) => {
        for (const datagram of [noise, mutate(js.encode(dict), list)]) {
          const result = core.decodeKrpc(datagram);
          let fault: { code: string; offset: number } | undefined;
          try {
            core.decode(datagram);
          } catch (error) {
            fault = error as { code: string; offset: number };
          }
          if (fault) expect(failure(result)).toEqual({ code: fault.code, offset: fault.offset });
          else expect(['not-a-dict', 'missing-field', 'wrong-type', 'unknown-type', undefined]).toContain(result.y === 'invalid' ? result.code : undefined);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
