import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileGoRegexp } from '../../../src/relabel/re2.js';
import { expandTemplate, parseTemplate } from '../../../src/relabel/template.js';

function regexp(pattern: string): RegExp {
  const result = compileGoRegexp(pattern);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.value.regexp;
}

// Go pattern, strings it matches in full, strings it does not.
const MATCHING: Array<[string, string[], string[]]> = [
  ['(.*)', ['', 'anything'], ['two\nlines']],
  ['foo|bar', ['foo', 'bar'], ['foobar', 'xfoo']],
  ['.', ['\r', '😀'], ['\n', 'ab']],
  ['(?s).', ['\n'], ['ab']],
  ['[^a]', ['\n', 'b'], ['a']],
  ['\\s+', [' \t\n\f\r'], ['\v', '\u00a0']],
  ['\\S', ['\u00a0', '\v'], [' ']],
  ['\\d+\\w*', ['42', '4_x'], ['٤٢', 'é']],
  ['[[:alpha:]][[:digit:][:punct:]]', ['a1', 'Z!'], ['1a', 'aa']],
  ['\\pL+\\p{Greek}', ['éλ'], ['éa']],
  ['\\Qa.b*\\E', ['a.b*'], ['axbb']],
  ['\\x41\\x{1F600}\\101\\0', ['A😀A\0'], []],
  ['a{2,3}', ['aa', 'aaa'], ['a', 'aaaa']],
  ['a{,3}', ['a{,3}'], ['aaa']],
  ['[]a]+', [']a]'], ['b']],
  ['[a-c-]', ['-', 'b'], ['d']],
  ['\\A\\.\\z', ['.'], ['x']],
  ['(?i)Get', ['GET', 'get'], ['got']],
  ['(?U)(a+)(a*)', ['aaa'], []],
  ['(?m)a$\\n^b', ['a\nb'], []],
  ['(?:ab)+(?s:.)', ['abab\n'], ['ab']],
  ['}]', ['}]'], []],
];

const REJECTED: Array<[string, RegExp]> = [
  ['(', /missing closing \)/],
  ['a)', /unexpected \)/],
  ['[a', /missing closing \]/],
  ['a\\', /trailing backslash/],
  ['(?=a)', /lookahead and lookbehind/],
  ['(?<!a)b', /lookahead and lookbehind/],
  ['(a)\\1', /backreferences/],
  ['\\k<a>', /invalid escape sequence \\k/],
  ['\\Z', /invalid escape sequence \\Z/],
  ['[\\b]', /invalid escape sequence \\b/],
  ['a{1001}', /invalid repeat count/],
  ['a{3,2}', /invalid repeat count/],
  ['a**', /nothing to repeat/],
  ['(?P<a>x)(?P<a>y)', /duplicate capture group name "a"/],
  ['(?P<a-b>x)', /invalid capture group name "a-b"/],
  ['(?P=a)', /invalid or unsupported group syntax/],
  ['(?i-)a', /invalid or unsupported group syntax/],
  ['[[:foo:]]', /invalid character class \[:foo:\]/],
  ['[z-a]', /invalid character class range z-a/],
  ['\\p{Nope}', /invalid property name/],
  // Valid Go that Node 20 cannot express: refused rather than matched differently.
  ['a(?i)b', /only for the whole regex/],
  ['(?i:a)b', /only for the whole regex/],
  ['[[:^alpha:]]', /negated POSIX classes/],
  ['[\\S]', /\\S inside brackets/],
];

describe('Go regular expressions', () => {
  for (const [pattern, yes, no] of MATCHING) {
    it(`${pattern} matches as in Go`, () => {
      const re = regexp(pattern);
      for (const s of yes) assert.ok(re.test(s), `${pattern} should match ${JSON.stringify(s)}`);
      for (const s of no) assert.ok(!re.test(s), `${pattern} should not match ${JSON.stringify(s)}`);
    });
  }

  for (const [pattern, message] of REJECTED) {
    it(`refuses ${pattern}`, () => {
      const result = compileGoRegexp(pattern);
      assert.ok(!result.ok, `${pattern} should be refused`);
      assert.match(result.error, message);
    });
  }

  it('numbers groups as Go does, named or not, and gives their names', () => {
    const result = compileGoRegexp('(?P<host>[^:]+)(:(?<port>\\d+))?(?:x)?(y)?');
    assert.ok(result.ok);
    assert.deepEqual(result.value.groupNames, ['', 'host', '', 'port', '']);
    assert.deepEqual([...result.value.regexp.exec('db:9')!], ['db:9', 'db', ':9', '9', undefined]);
  });

  it('swaps greediness under (?U)', () => {
    assert.deepEqual([...regexp('(?U)(a+)(a*)').exec('aaa')!], ['aaa', 'a', 'aa']);
    assert.deepEqual([...regexp('(?U)(a+?)(a*)').exec('aaa')!], ['aaa', 'aaa', '']);
  });
});

describe('replacement templates', () => {
  const expand = (pattern: string, template: string, input: string): string => {
    const result = compileGoRegexp(pattern);
    assert.ok(result.ok);
    return expandTemplate(parseTemplate(template, result.value.groupNames), result.value.regexp.exec(input)!);
  };

  it('follows Go\'s Regexp.ExpandString', () => {
    const re = '(?P<first>a)(b)(?P<1x>c)?';
    assert.equal(expand(re, '$1|${2}|$first|${first}|$$|$0', 'ab'), 'a|b|a|a|$|ab');
    assert.equal(expand(re, '$1x', 'abc'), 'c'); // the group named 1x, not group 1 then "x"
    assert.equal(expand(re, '$2x|${2}x', 'ab'), '|bx');
    assert.equal(expand(re, '$9|$01|$nope|${first', 'ab'), '|||${first');
    assert.equal(expand(re, '$-$', 'ab'), '$-$');
    assert.equal(expand(re, '$1x', 'ab'), ''); // a group that took no part inserts nothing
  });
});
