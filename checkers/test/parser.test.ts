import { describe, expect, it } from 'vitest';
import { ResponseParser, type RawResponse } from '../core/http/parser.js';

function parse(chunks: string[], methods: string[] = ['GET']): { got: RawResponse[]; parser: ResponseParser } {
  const got: RawResponse[] = [];
  const parser = new ResponseParser((r) => got.push(r));
  parser.pendingMethods.push(...methods);
  for (const c of chunks) parser.feed(Buffer.from(c, 'latin1'));
  return { got, parser };
}

describe('HTTP response parser', () => {
  it('reads a Content-Length body split across reads', () => {
    const { got } = parse(['HTTP/1.1 200 OK\r\nContent-Le', 'ngth: 5\r\n\r\nhel', 'lo']);
    expect(got).toHaveLength(1);
    expect(got[0]!.status).toBe(200);
    expect(got[0]!.body.toString()).toBe('hello');
    expect(got[0]!.complete).toBe(true);
  });

  it('reads chunked bodies byte by byte', () => {
    const wire = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n';
    const { got } = parse(wire.split(''));
    expect(got[0]!.body.toString()).toBe('abcde');
    expect(got[0]!.complete).toBe(true);
  });

  it('reports a chunked body cut before its last chunk as incomplete', () => {
    const { got, parser } = parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n']);
    expect(got).toHaveLength(0);
    const r = parser.end()!;
    expect(r.complete).toBe(false);
    expect(r.body.toString()).toBe('abc');
  });

  it('reads a close-delimited body when the connection ends', () => {
    const { got, parser } = parse(['HTTP/1.1 200 OK\r\nConnection: close\r\n\r\npart one ', 'part two']);
    expect(got).toHaveLength(0);
    expect(parser.end()!.body.toString()).toBe('part one part two');
  });

  it('reads pipelined responses in order, HEAD and 204 without bodies', () => {
    const { got } = parse(
      ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nHTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'],
      ['HEAD', 'DELETE', 'GET'],
    );
    expect(got.map((r) => r.status)).toEqual([200, 204, 200]);
    expect(got.map((r) => r.body.toString())).toEqual(['', '', 'ok']);
  });

  it('skips 100 Continue and joins repeated headers', () => {
    const { got } = parse(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nVary: a\r\nVary: b\r\nContent-Length: 0\r\n\r\n']);
    expect(got).toHaveLength(1);
    expect(got[0]!.status).toBe(201);
    expect(got[0]!.headers['vary']).toBe('a, b');
  });

  it('rejects what is not HTTP', () => {
    expect(() => parse(['SSH-2.0-OpenSSH\r\n\r\n'])).toThrow(/not an HTTP response/);
  });
});
