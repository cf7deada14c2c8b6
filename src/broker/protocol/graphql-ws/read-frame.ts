/**
 * A frame read as a graphql-transport-ws message, with graphql-ws's own validator (which names
 * the field it found wrong), or why it cannot be one. Never throws. A message only a client
 * sends (`subscribe`) passes here; the connection refuses it. The reason never quotes the frame
 * (it may hold user data): JSON.parse's message and some of the validator's quote what they got.
 */
import { validateMessage, type Message } from 'graphql-ws/client';
import type { RawFrame } from '../channel-dialect.ts';

export type ReadFrame = { ok: true; message: Message } | { ok: false; reason: string };

const reasonChars = 200;

/** What the validator says it got, when that is a value of the frame rather than its type's name. */
const gotValue = /, but got (?!(?:null|array|object|string|number|boolean|undefined|bigint|symbol|function)$).*$/s;
const unknownType = /^(Invalid message 'type' property).*$/s;

export function readFrame(frame: RawFrame): ReadFrame {
  if (typeof frame !== 'string') return { ok: false, reason: 'graphql-transport-ws frames are text, got a binary frame' };
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return { ok: false, reason: 'the frame is not JSON' };
  }
  try {
    return { ok: true, message: validateMessage(value) };
  } catch (error) {
    const said = error instanceof Error ? error.message : 'the validator threw';
    return { ok: false, reason: said.replace(gotValue, ', but got another value').replace(unknownType, '$1').slice(0, reasonChars) };
  }
}
