import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileRelabelConfigs } from '../../../src/relabel/rules.js';
import { createRelabelingAppender } from '../../../src/relabel/relabeling-appender.js';
import { openTestWal, readAll } from '../../helpers/wal-fixture.js';
import { tempDir } from '../../helpers/temp-dir.js';

function rules(raw: unknown) {
  const compiled = compileRelabelConfigs(raw);
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  return compiled.rules;
}

describe('relabeling appender', () => {
  it('relabels series before they reach the WAL and skips dropped ones', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const wal = openTestWal(dir.path);
    const appender = createRelabelingAppender(wal, rules([
      { source_labels: ['__name__'], regex: 'noisy_.*', action: 'drop' },
      { target_label: 'site', replacement: 'farm7' },
    ]), 100);
    const kept = appender.seriesRef([{ name: '__name__', value: 'temp' }, { name: 'room', value: 'a' }]);
    const dropped = appender.seriesRef([{ name: '__name__', value: 'noisy_x' }]);
    assert.ok(kept > 0);
    assert.equal(dropped, 0);
    appender.append(kept, 1000, 21.5);
    wal.commit();
    assert.deepEqual(readAll(wal, wal.consumer('c')), [{ labels: '__name__=temp,room=a,site=farm7', t: 1000, v: 21.5 }]);
    wal.close();
  });

  it('gives a series whose metric name was removed ref 0', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const wal = openTestWal(dir.path);
    const appender = createRelabelingAppender(wal, rules([{ regex: '__name__', action: 'labeldrop' }]), 100);
    assert.equal(appender.seriesRef([{ name: '__name__', value: 'temp' }, { name: 'a', value: 'b' }]), 0);
    wal.close();
  });

  it('returns the same ref for the same input series across calls and after the cache is cleared', (t) => {
    const dir = tempDir();
    t.after(dir.remove);
    const wal = openTestWal(dir.path);
    const appender = createRelabelingAppender(wal, rules([{ target_label: 'x', replacement: 'y' }]), 2);
    const refs = [0, 1, 2, 0, 1, 2].map((i) => appender.seriesRef([{ name: '__name__', value: `m${i}` }]));
    assert.deepEqual(refs.slice(0, 3), refs.slice(3));
    wal.close();
  });
});
