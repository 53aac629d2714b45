/** Outcome of decoding a body's bytes: the text, or the first line that is not valid UTF-8. */
export type DecodeResult = { ok: true; text: string } | { ok: false; line: number; problem: string };

const fatalDecoder = new TextDecoder('utf-8', { fatal: true });
const NEWLINE_BYTE = 0x0a;

function isUtf8(bytes: Uint8Array): boolean {
  try {
    fatalDecoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

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
