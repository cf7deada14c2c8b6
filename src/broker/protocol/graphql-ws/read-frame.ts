/**
 * A frame read as a graphql-transport-ws message, with graphql-ws's own validator (which names
 * the field it found wrong), or why it cannot be one. Never throws. A message only a client
 * sends (`subscribe`) passes here; the connection refuses it.
 */
import { parseMessage, type Message } from 'graphql-ws/client';
import type { RawFrame } from '../channel-dialect.ts';

export type ReadFrame = { ok: true; message: Message } | { ok: false; reason: string };

/** How much of the validator's complaint is kept: it may quote the frame's payload whole. */
const reasonChars = 200;

export function readFrame(frame: RawFrame): ReadFrame {
  if (typeof frame !== 'string') return { ok: false, reason: 'graphql-transport-ws frames are text, got a binary frame' };
  let message: Message;
  try {
    message = parseMessage(frame);
  } catch (error) {
    const said = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: said.slice(0, reasonChars) };
  }
  return { ok: true, message };
}
