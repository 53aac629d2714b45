import { isUtf8 } from 'node:buffer';

/** Outcome of decoding a body's bytes: the text, or the first line that is not valid UTF-8. */
export type DecodeResult = { ok: true; text: string } | { ok: false; line: number; problem: string };

// Bad tokens are quoted in problems; a cap keeps a hostile line from filling the log.
const QUOTE_MAX = 64;

/** `text` (from a body) as a JSON string for a problem, cut to QUOTE_MAX characters. */
export const quote = (text: string): string => JSON.stringify(text.length > QUOTE_MAX ? text.slice(0, QUOTE_MAX) + '…' : text);

const fatalDecoder = new TextDecoder('utf-8', { fatal: true });
const NEWLINE_BYTE = 0x0a;

/**
 * Decodes an exposition body as UTF-8, which the format prescribes. Invalid bytes fail the body
 * (a label value silently turned into U+FFFD would be another series). Only then is the body
 * decoded again line by line to name the bad line, which is exact because byte 0x0A never occurs
 * inside a multi-byte sequence.
 */
export function decodeExposition(bytes: Uint8Array): DecodeResult {
  try {
    return { ok: true, text: fatalDecoder.decode(bytes) };
  } catch {
    let line = 1;
    let start = 0;
    for (let end = bytes.indexOf(NEWLINE_BYTE); end >= 0 && isUtf8(bytes.subarray(start, end)); end = bytes.indexOf(NEWLINE_BYTE, start)) {
      start = end + 1;
      line++;
    }
    // Either that line failed, or every complete line decoded and the bad bytes follow the last newline.
    return { ok: false, line, problem: 'line is not valid UTF-8' };
  }
}

/**
 * The UTF-8 bytes of `text`, for parsing a body given as a string. A lone surrogate, which has no
 * UTF-8 form, is written as its three-byte WTF-8 form (ED A0–BF xx) instead of U+FFFD, so that the
 * parser can still refuse it in a label value; valid UTF-8 never holds those bytes.
 */
export function encodeText(text: string): Buffer {
  if (text.isWellFormed()) return Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(text.length * 3);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    // A lone surrogate comes back as itself, and is encoded like any other code point below U+10000.
    const c = text.codePointAt(i)!;
    if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
    } else if (c < 0x10000) {
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 0x3f);
      out[n++] = 0x80 | (c & 0x3f);
    } else {
      out[n++] = 0xf0 | (c >> 18);
      out[n++] = 0x80 | ((c >> 12) & 0x3f);
      out[n++] = 0x80 | ((c >> 6) & 0x3f);
      out[n++] = 0x80 | (c & 0x3f);
      i++;
    }
  }
  return out.subarray(0, n);
}
