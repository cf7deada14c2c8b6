/**
 * The event stream format as the HTML standard interprets it (the fetch reader's parser):
 * line endings, fields, multi-line data, ids kept across events, retry, comments, chunks cut
 * anywhere, and the bound on what a server can make it hold.
 */
import { describe, expect, it } from 'vitest';
import { type SseMessage, SseParser } from '../../../../src/broker/transports/sse-parser.ts';

function parse(chunks: string[], maxChars = 1000) {
  const messages: SseMessage[] = [];
  const retries: number[] = [];
  const parser = new SseParser({ message: (m) => messages.push(m), retry: (ms) => retries.push(ms) }, maxChars);
  for (const chunk of chunks) parser.push(chunk);
  return { messages, retries, parser };
}

describe('the SSE parser', () => {
  it('reads event, multi-line data and id, and names an unnamed event message', () => {
    const { messages } = parse(['event: order.shipped\nid: 7\ndata: {"a":\ndata: 1}\n\ndata: plain\n\n']);
    expect(messages).toEqual([
      { event: 'order.shipped', data: '{"a":\n1}', id: '7', ownId: true },
      // The id stays the stream's last; this event did not set it.
      { event: 'message', data: 'plain', id: '7', ownId: false },
    ]);
  });

  it('takes CRLF, LF and CR line ends, also when a chunk ends between CR and LF', () => {
    const { messages } = parse(['data: a\r', '\ndata: b\r\r', 'data: c\n', '\n', 'data: d\r\n\r\n']);
    expect(messages.map((m) => m.data)).toEqual(['a\nb', 'c', 'd']);
  });

  it('puts lines cut across chunks back together, and drops a leading BOM', () => {
    const { messages } = parse(['\ufeffda', 'ta: hel', 'lo\n', '\n']);
    expect(messages).toEqual([{ event: 'message', data: 'hello', id: '', ownId: false }]);
  });

  it('skips comments, unknown fields and events without data; keeps the id they set', () => {
    const { messages, parser } = parse([': heartbeat\n\nfoo: bar\nid: 9\n\nevent: x\n\ndata\n\n']);
    // `data` without a colon is a data line with an empty value: an event with empty data.
    expect(messages).toEqual([{ event: 'message', data: '', id: '9', ownId: false }]);
    expect(parser.lastEventId).toBe('9');
  });

  it('takes one space after the colon away, and only one', () => {
    const { messages } = parse(['data:no space\ndata:  two\n\n']);
    expect(messages[0]!.data).toBe('no space\n two');
  });

  it('reads retry only when it is digits, and ignores an id holding NUL', () => {
    const { retries, messages } = parse(['retry: 1500\nretry: 2s\nretry: -1\nid: 1\n\nid: a\u0000b\ndata: x\n\n']);
    expect(retries).toEqual([1500]);
    expect(messages).toEqual([{ event: 'message', data: 'x', id: '1', ownId: false }]);
  });

  it('resets the id with an empty id field', () => {
    const { messages } = parse(['id: 5\ndata: a\n\nid\ndata: b\n\n']);
    expect(messages.map((m) => m.id)).toEqual(['5', '']);
  });

  it('drops an event the stream did not finish', () => {
    const { messages } = parse(['data: whole\n\ndata: half']);
    expect(messages.map((m) => m.data)).toEqual(['whole']);
  });

  it('cuts what it holds just past the bound, so the frame is refused as oversized, and goes on', () => {
    const { messages } = parse([`data: ${'x'.repeat(50)}\n`, `data: ${'y'.repeat(50)}\n\n`, `data: ${'z'.repeat(500)}`, 'z\n\ndata: ok\n\n'], 60);
    expect(messages.map((m) => m.data.length)).toEqual([61, 61, 2]);
    expect(messages[2]!.data).toBe('ok');
  });
});

describe('the SSE parser at its bound', () => {
  it('refuses an event whose data lines add up past the bound, even when each fits', () => {
    const { messages } = parse([`data: ${'a'.repeat(9)}\ndata: ${'b'.repeat(9)}\ndata: c\n\ndata: ${'d'.repeat(10)}\n\n`], 10);
    expect(messages.map((m) => m.data.length)).toEqual([11, 10]);
  });
});
