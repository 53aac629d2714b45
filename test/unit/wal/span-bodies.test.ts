import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpanBodies } from '../../../src/wal/span-bodies.js';

const row = (id: number, segment = 1) => ({ id, segment, samples: 10, bytes: 100 });
const live = () => true;

describe('span bodies', () => {
  it('finds the first chunk at or after a position within what a walk read, ids with gaps included', () => {
    const cache = new SpanBodies();
    cache.add(3, row(3), Buffer.from('a'));
    cache.add(4, row(6), Buffer.from('b'));
    cache.add(7, row(7), Buffer.from('c'));
    assert.equal(cache.find(3, live)?.row.id, 3);
    assert.equal(cache.find(5, live)?.row.id, 6);
    assert.equal(cache.find(7, live)?.body.toString(), 'c');
    // Before the walk's start or past its last chunk the WAL must answer.
    assert.equal(cache.find(2, live), undefined);
    assert.equal(cache.find(8, live), undefined);
  });

  it('starts again when a walk does not go on from the last chunk', () => {
    const cache = new SpanBodies();
    cache.add(1, row(1), Buffer.from('a'));
    cache.add(5, row(5), Buffer.from('b'));
    assert.equal(cache.find(1, live), undefined);
    assert.equal(cache.find(5, live)?.row.id, 5);
  });

  it('gives nothing of a truncated segment and forgets the rest', () => {
    const cache = new SpanBodies();
    cache.add(1, row(1, 1), Buffer.from('a'));
    cache.add(2, row(2, 2), Buffer.from('b'));
    assert.equal(cache.find(1, (segment) => segment !== 1), undefined);
    assert.equal(cache.find(2, live), undefined);
  });

  it('drops delivered chunks and keeps the ones after them', () => {
    const cache = new SpanBodies();
    for (let id = 1; id <= 3; id++) cache.add(id, row(id), Buffer.from(String(id)));
    cache.dropBefore(3);
    assert.equal(cache.find(2, live), undefined);
    assert.equal(cache.find(3, live)?.body.toString(), '3');
    cache.dropBefore(4);
    assert.equal(cache.find(3, live), undefined);
  });

  it('stops adding at its byte cap and keeps what it holds contiguous', () => {
    const cache = new SpanBodies();
    const big = Buffer.alloc(5 * 1024 * 1024);
    cache.add(1, row(1), big);
    cache.add(2, row(2), big);
    cache.add(3, row(3), Buffer.from('small'));
    assert.equal(cache.find(1, live)?.row.id, 1);
    assert.equal(cache.find(2, live), undefined);
    assert.equal(cache.find(3, live), undefined);
  });
});
