/**
 * Go (RE2) regular expressions run as JavaScript ones. Prometheus compiles relabel regexes with
 * Go's `regexp`, whose syntax differs from JavaScript's where users notice: `(?P<name>…)` groups,
 * `(?i)` flags, POSIX classes such as `[[:alpha:]]`, `\Q…\E`, `\z`, and `.` matching `\r`. So the
 * pattern is not handed to `RegExp` as written: it is read once with Go's grammar and written
 * out as an equivalent JavaScript pattern in `u` mode (where `.` is one code point, as in Go it
 * is one rune). What Go rejects — lookaround, backreferences, escapes it does not know — is
 * rejected here too, so a rule that loads here also loads in Prometheus. The few Go constructs
 * Node 20 cannot express are rejected with a message instead of being matched differently:
 * `(?i)` anywhere but at the very start (Node 20 has no scoped modifiers), negated POSIX
 * classes and `\S` inside brackets.
 *
 * One difference stays: JavaScript backtracks where RE2 runs in linear time, so a pathological
 * pattern such as `(a+)+b` can be slow on long values. Patterns come from the operator's file.
 */

/** A Go regular expression compiled for JavaScript, anchored at both ends as Prometheus does. */
export interface GoRegexp {
  /** Matches exactly what Go's `^(?:pattern)$` matches; never global or sticky, so it holds no state and may be frozen. */
  readonly regexp: RegExp;
  /** The name of each capture group by number, '' for unnamed ones; index 0 is the whole match (Go's `SubexpNames`). */
  readonly groupNames: readonly string[];
}

/** Compiles `pattern` with Go's syntax and anchoring, or returns why Go (or this translation) rejects it. */
export function compileGoRegexp(pattern: string): { ok: true; value: GoRegexp } | { ok: false; error: string } {
  let translated: Translation;
  try {
    translated = translate(pattern);
  } catch (error) {
    if (error instanceof PatternError) return { ok: false, error: error.message };
    throw error;
  }
  try {
    const regexp = new RegExp(`^(?:${translated.source})$`, translated.caseless ? 'iu' : 'u');
    return { ok: true, value: { regexp, groupNames: translated.groupNames } };
  } catch (error) {
    // V8's message quotes the translated pattern, which the user never wrote: keep the reason only.
    const reason = error instanceof Error ? error.message.replace(/^.*: /s, '') : String(error);
    return { ok: false, error: reason.charAt(0).toLowerCase() + reason.slice(1) };
  }
}

/** A problem in the pattern; thrown inside the translator and turned into a value at its edge. */
class PatternError extends Error {}

interface Translation {
  source: string;
  caseless: boolean;
  groupNames: string[];
}

/** Go's flags other than `i`, which JavaScript can only take for the whole pattern. */
interface Flags {
  multiLine: boolean;
  dotNewline: boolean;
  ungreedy: boolean;
}

// Characters that need a backslash to be literal in a JavaScript `u`-mode pattern.
const SYNTAX = new Set('^$\\.*+?()[]{}|/');
// Go's `\s` is ASCII white space without \v; JavaScript's is Unicode white space.
const SPACE = '\\t\\n\\f\\r ';
const POSIX: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};
// Go's Unicode general categories; any other `\p{Name}` is a script.
const CATEGORIES = new Set('C Cc Cf Co Cs L LC Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(' '));
const MAX_REPEAT = 1000; // Go's limit on {n,m}
const REPEAT = /\{(\d+)(?:(,)(\d*))?\}/y;
const FLAG_GROUP = /\(\?([imsU]*)(?:-([imsU]*))?([:)])/y;
const NAMED_GROUP = /\(\?P?<([^>]*)>/y;

function translate(pattern: string): Translation {
  const groupNames = [''];
  const saved: Flags[] = []; // the flags to restore at each open group's `)`
  let flags: Flags = { multiLine: false, dotNewline: false, ungreedy: false };
  let caseless = false;
  let out = '';
  let i = 0;

  const fail = (message: string): never => {
    throw new PatternError(message);
  };
  const at = (re: RegExp): RegExpExecArray | null => {
    re.lastIndex = i;
    return re.exec(pattern);
  };
  /** Reads the code point at `i` and moves past it. */
  const next = (): string => {
    if (i >= pattern.length) fail('unexpected end of expression');
    const c = String.fromCodePoint(pattern.codePointAt(i)!);
    i += c.length;
    return c;
  };
  /** Emits a lazy mark when `?` follows a quantifier, swapped under Go's `U` flag. */
  const laziness = (): string => {
    const lazy = pattern[i] === '?';
    if (lazy) i++;
    return lazy !== flags.ungreedy ? '?' : '';
  };

  /** An escape after `\` that stands for one code point, the same inside and outside brackets. */
  const charEscape = (c: string): number => {
    const simple: Record<string, number> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 };
    if (Object.hasOwn(simple, c)) return simple[c]!;
    if (c === 'x') {
      const braced = /\{([0-9A-Fa-f]+)\}|([0-9A-Fa-f]{2})/y;
      const m = at(braced);
      if (m === null) fail('invalid escape sequence \\x');
      i += m![0].length;
      const value = parseInt(m![1] ?? m![2]!, 16);
      return value <= 0x10ffff ? value : fail(`invalid escape sequence \\x${m![0]}`);
    }
    if (c >= '0' && c <= '7') {
      // Go: \0 starts an octal escape; \1-\7 only when another octal digit follows (a lone one would be a backreference).
      const more = /[0-7]{0,2}/y;
      const digits = c + at(more)![0];
      if (c !== '0' && digits.length === 1) fail(`backreferences such as \\${c} are not supported`);
      i += digits.length - 1;
      return parseInt(digits, 8);
    }
    if (c.length === 1 && c < '\x80' && !/[0-9A-Za-z]/.test(c)) return c.charCodeAt(0);
    return fail(`invalid escape sequence \\${c}`);
  };

  /** `\pN`, `\p{Greek}`, `\p{^Greek}` and their `\P` negations. */
  const unicodeClass = (c: 'p' | 'P'): string => {
    let name = next();
    if (name === '{') {
      const end = pattern.indexOf('}', i);
      if (end < 0) fail(`missing closing } in \\${c}{`);
      name = pattern.slice(i, end);
      i = end + 1;
    }
    let negated = c === 'P';
    if (name.startsWith('^')) [negated, name] = [!negated, name.slice(1)];
    const property = name === 'Any' ? 'Any' : CATEGORIES.has(name) ? `gc=${name}` : `sc=${name}`;
    return `\\${negated ? 'P' : 'p'}{${property}}`;
  };

  /** A bracket class, `i` just past `[`; written with every character as a `\u{…}` escape. */
  const bracket = (): string => {
    let body = '';
    const negated = pattern[i] === '^';
    if (negated) i++;
    const classChar = (): number => {
      const c = next();
      return c === '\\' ? charEscape(next()) : c.codePointAt(0)!;
    };
    for (let first = true; first || pattern[i] !== ']'; first = false) {
      if (i >= pattern.length) fail('missing closing ]');
      const posix = at(/\[:(\^?)([^]*?):\]/y); // as Go: up to the first `:]`, whatever the name
      if (posix !== null) {
        const ranges = POSIX[posix[2]!];
        if (ranges === undefined) fail(`invalid character class [:${posix[2]}:]`);
        if (posix[1] === '^') fail(`negated POSIX classes such as [:^${posix[2]}:] are not supported; negate the whole class instead`);
        body += ranges;
        i += posix[0].length;
        continue;
      }
      if (pattern[i] === '\\' && /[dDwWsSpP]/.test(pattern[i + 1] ?? '')) {
        const c = pattern[i + 1]!;
        i += 2;
        if (c === 'S') fail('\\S inside brackets is not supported; write [^\\t\\n\\f\\r ] or use \\S outside brackets');
        body += c === 's' ? SPACE : c === 'p' || c === 'P' ? unicodeClass(c) : `\\${c}`;
        continue;
      }
      const lo = classChar();
      let hi = lo;
      if (pattern[i] === '-' && i + 1 < pattern.length && pattern[i + 1] !== ']') {
        i++;
        hi = classChar();
        if (hi < lo) fail(`invalid character class range ${String.fromCodePoint(lo)}-${String.fromCodePoint(hi)}`);
      }
      body += hi === lo ? codePoint(lo) : `${codePoint(lo)}-${codePoint(hi)}`;
    }
    i++; // the closing ]
    return `[${negated ? '^' : ''}${body}]`;
  };

  /** A group or flag setting, `i` at `(`. */
  const group = (): string => {
    if (pattern.startsWith('(?=', i) || pattern.startsWith('(?!', i) || pattern.startsWith('(?<=', i) || pattern.startsWith('(?<!', i)) {
      fail('lookahead and lookbehind are not supported (RE2 syntax)');
    }
    if (pattern[i + 1] !== '?') {
      i++;
      saved.push(flags);
      groupNames.push('');
      return '(';
    }
    const named = at(NAMED_GROUP);
    if (named !== null) {
      const name = named[1]!;
      if (!/^[A-Za-z0-9_]+$/.test(name)) fail(`invalid capture group name "${name}"`);
      if (groupNames.includes(name)) fail(`duplicate capture group name "${name}"`);
      i += named[0].length;
      saved.push(flags);
      groupNames.push(name); // written as a plain group: templates refer to groups by number
      return '(';
    }
    const m = at(FLAG_GROUP);
    if (m === null || m[2] === '') fail(`invalid or unsupported group syntax ${pattern.slice(i, i + 4)}…`);
    i += m![0].length;
    const set = (flag: string): boolean | undefined => (m![1]!.includes(flag) ? true : m![2]?.includes(flag) ? false : undefined);
    const updated: Flags = {
      multiLine: set('m') ?? flags.multiLine,
      dotNewline: set('s') ?? flags.dotNewline,
      ungreedy: set('U') ?? flags.ungreedy,
    };
    const wantCaseless = set('i') ?? caseless;
    if (wantCaseless !== caseless) {
      if (out !== '' || saved.length > 0 || m![3] !== ')') fail('case-insensitive matching is supported only for the whole regex, as a leading (?i)');
      caseless = wantCaseless;
    }
    if (m![3] === ')') {
      flags = updated;
      return '';
    }
    saved.push(flags);
    flags = updated;
    return '(?:';
  };

  while (i < pattern.length) {
    const c = next();
    switch (c) {
      case '\\': {
        if (i >= pattern.length) fail('trailing backslash at end of expression');
        const e = next();
        if (e === 'A') out += '^';
        else if (e === 'z') out += '$';
        else if ('bBdDwW'.includes(e)) out += `\\${e}`;
        else if (e === 's') out += `[${SPACE}]`;
        else if (e === 'S') out += `[^${SPACE}]`;
        else if (e === 'p' || e === 'P') out += unicodeClass(e);
        else if (e === 'Q') {
          const end = pattern.indexOf('\\E', i);
          const text = pattern.slice(i, end < 0 ? pattern.length : end);
          for (const ch of text) out += literal(ch);
          i += text.length + (end < 0 ? 0 : 2);
        } else out += codePoint(charEscape(e));
        break;
      }
      case '[':
        out += bracket();
        break;
      case '(':
        i -= 1;
        out += group();
        break;
      case ')':
        if (saved.length === 0) fail('unexpected )');
        flags = saved.pop()!;
        out += ')';
        break;
      case '*': case '+': case '?':
        out += c + laziness();
        break;
      case '{': {
        i -= 1;
        const m = at(REPEAT);
        if (m === null) {
          i += 1;
          out += '\\{'; // Go reads a `{` that starts no valid repeat as a literal
          break;
        }
        const [min, max] = [Number(m[1]), m[2] === undefined ? Number(m[1]) : m[3] === '' ? -1 : Number(m[3])];
        if (min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && max < min)) fail(`invalid repeat count ${m[0]}`);
        i += m[0].length;
        out += m[0] + laziness();
        break;
      }
      case '.':
        out += flags.dotNewline ? '[\\s\\S]' : '[^\\n]';
        break;
      case '^':
        out += flags.multiLine ? '(?<![^\\n])' : '^';
        break;
      case '$':
        out += flags.multiLine ? '(?![^\\n])' : '$';
        break;
      case '|':
        out += '|';
        break;
      default:
        out += literal(c);
    }
  }
  if (saved.length > 0) fail('missing closing )');
  return { source: out, caseless, groupNames };
}

function literal(c: string): string {
  return SYNTAX.has(c) ? `\\${c}` : c;
}

function codePoint(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}
