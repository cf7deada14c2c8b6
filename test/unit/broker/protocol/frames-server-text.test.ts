/** A server's error text as tabs receive it: bounded, no control characters, nothing token-like, the code kept. */
import { describe, expect, it } from 'vitest';
import { maxServerMessageLength, serverCodeForTabs, serverMessageForTabs } from '../../../../src/broker/protocol/server-text.ts';

describe('serverMessageForTabs', () => {
  it('keeps an ordinary message as it is', () => {
    expect(serverMessageForTabs('title must not be empty (field "goal_title")')).toBe('title must not be empty (field "goal_title")');
  });

  it.each([
    ['a bearer token', 'refused: Bearer at_4fQx9_kLmN0pQrStUvWxYz12', 'refused: Bearer [redacted]'],
    ['a JWT', 'bad token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl', 'bad token [redacted]'],
    ['a named secret', 'echo: {"token": "abc", "password":"hunter2"}', 'echo: {"token": "[redacted]", "password":"[redacted]"}'],
    ['a query parameter', 'GET /ws?api_key=k3y&x=1', 'GET /ws?api_key=[redacted]&x=1'],
    ['a long hex run', 'session 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b expired', 'session [redacted] expired'],
    ['a base64url run without digits', 'id AbcDefGhi_JklMnoPqrStuVwx rejected', 'id [redacted] rejected'],
  ])('redacts %s', (_, message, told) => {
    expect(serverMessageForTabs(message)).toBe(told);
  });

  it('removes control, zero-width and direction characters', () => {
    expect(serverMessageForTabs('line\u0000one\r\nline\u001b[31m two\u202e\u200b end\u0085')).toBe('line one line [31m two end');
  });

  it(`cuts at ${maxServerMessageLength} characters, after redacting, so no token is cut in half and kept`, () => {
    const token = `at_${'Ab1'.repeat(20)}`;
    const message = `${'x '.repeat(95)}${token} ${'y '.repeat(500)}`;
    const told = serverMessageForTabs(message);
    expect(told.length).toBeLessThanOrEqual(maxServerMessageLength);
    expect(told.endsWith('…')).toBe(true);
    expect(told).not.toMatch(/Ab1Ab1/);
  });

  it('says "server error" when nothing is left', () => {
    expect(serverMessageForTabs('\u0000\u0001')).toBe('server error');
  });
});

describe('serverCodeForTabs', () => {
  it('keeps a code, bounded', () => {
    expect(serverCodeForTabs('VALIDATION_ERROR')).toBe('VALIDATION_ERROR');
    expect(serverCodeForTabs('E'.repeat(500)).length).toBeLessThanOrEqual(64);
    expect(serverCodeForTabs('BAD\nCODE')).toBe('BAD CODE');
  });
});
