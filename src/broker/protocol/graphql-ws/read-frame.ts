/**
 * A server frame read as a graphql-transport-ws message, with graphql-ws's own validator (which
 * names the field it found wrong), or why it cannot be one. Never throws.
 */
import { MessageType, parseMessage, type Message } from 'graphql-ws';
import type { RawFrame } from '../channel-dialect.ts';

export type ReadFrame = { ok: true; message: Message } | { ok: false; reason: string };

/** How much of the validator's complaint is kept: it may quote the frame's payload whole. */
const reasonChars = 200;

/** Messages only a client sends: a server that sends them breaks the protocol. */
const clientOnly = new Set<string>([MessageType.ConnectionInit, MessageType.Subscribe]);

export function readFrame(frame: RawFrame): ReadFrame {
  if (typeof frame !== 'string') return { ok: false, reason: 'graphql-transport-ws frames are text, got a binary frame' };
  let message: Message;
  try {
    message = parseMessage(frame);
  } catch (error) {
    const said = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: said.slice(0, reasonChars) };
  }
  if (clientOnly.has(message.type)) return { ok: false, reason: `a server does not send "${message.type}"` };
  return { ok: true, message };
}
