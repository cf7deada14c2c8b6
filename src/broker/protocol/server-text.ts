/**
 * What tabs receive of a server's error text (docs/protocol.md "Errors"). A server may echo a
 * request, a header or a token into its error frames, and the text goes to every tab's `onError`:
 * it is bounded, stripped of control and direction characters, and anything that looks like a
 * credential is replaced by `[redacted]`. The server's code is kept, held to the same rules.
 */

/** Longest server error message tabs receive, in characters (then cut, with `…`). */
export const maxServerMessageLength = 200;
/** Longest server error code tabs receive, in characters. */
export const maxServerCodeLength = 64;

/** Read at most this much of a message: what lies past it is cut anyway, after redaction. */
const maxScannedLength = 4 * maxServerMessageLength;

// C0 and C1 controls, line and paragraph separators, zero-width and bidirectional formatting.
const invisible = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]+/g;
// `Bearer x`, `Basic x`, and `token=x`, `"password": "x"` and the like.
const scheme = /\b(bearer|basic)\s+\S+/gi;
const named = /\b(access[_-]?token|refresh[_-]?token|id[_-]?token|token|api[_-]?key|apikey|password|passwd|secret|authorization|cookie|session(?:[_-]?id)?)(["']?\s*[:=]\s*["']?)[^\s"',;&]+/gi;
// Long runs of the alphabets tokens are written in (base64, base64url, hex, JWT).
const run = /[A-Za-z0-9_+/=~.-]{20,}/g;

/** A run that reads as a credential rather than a word: it holds a digit, or mixes three kinds of characters. */
function looksLikeToken(text: string): boolean {
  if (/\d/.test(text)) return true;
  const kinds = [/[a-z]/, /[A-Z]/, /[_+/=~-]/].filter((kind) => kind.test(text)).length;
  return kinds >= 3;
}

function clean(text: string, maxLength: number): string {
  const redacted = text
    .slice(0, Math.max(maxScannedLength, maxLength))
    .replace(invisible, ' ')
    .replace(scheme, (_, word: string) => `${word} [redacted]`)
    .replace(named, (_, name: string, separator: string) => `${name}${separator}[redacted]`)
    .replace(run, (found) => (looksLikeToken(found) ? '[redacted]' : found))
    .replace(/\s+/g, ' ')
    .trim();
  return redacted.length > maxLength ? `${redacted.slice(0, maxLength - 1)}…` : redacted;
}

/** The server's error message as tabs receive it. */
export function serverMessageForTabs(message: string): string {
  return clean(message, maxServerMessageLength) || 'server error';
}

/** The server's error code as tabs receive it (`serverCode`). */
export function serverCodeForTabs(code: string): string {
  return clean(code, maxServerCodeLength) || 'UNKNOWN';
}
