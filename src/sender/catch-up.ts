/**
 * Catch-up spans: how a sender sends more than a window as long runs of each series.
 *
 * A round's window (queue capacity × max shards) holds a few samples of each series when many
 * series are scraped often (4 at 10,000 series a second), so every request would repeat each
 * series' labels for 4 samples. While bytes count (sender.ts `bytesAreCheap`) and more than a
 * window waits (a backlog, or a steady stream left to gather up to the batch deadline), the
 * sender instead takes a span of up to
 * SPAN_WINDOWS windows, counts its samples per series (`WalConsumer.countRefs`), and sends it in
 * passes: each pass re-reads the span but keeps only a range of series refs holding at most one
 * window (`refRanges`, `WalConsumer.readRefs`), so memory stays one window while a request
 * carries tens of samples of each series. The span's cursor is acked only after its last pass
 * (a restart or a failed pass sends the whole span again: at-least-once), and per-series order
 * holds because a series lies wholly in one pass and spans do not overlap.
 */

// A span is this many windows: at 10,000 series a second and the default window (40,000) each
// series gets 64 samples per span, where the labels' share of a request's bytes has mostly gone
// (`npm run bench:encode`: about 8 bytes a sample at 60 samples a series, 10 at 4). Every pass inflates and scans the
// whole span, decoding only its own series' values: measured at 10,000 series on an x86 core,
// reading 2M samples in spans costs 2.4 s of CPU against 0.3 s in windows.
export const SPAN_WINDOWS = 16;
/**
 * Cuts the refs of `counts` (samples per series ref) into consecutive ranges [from, to), the last
 * open at the top, of at most `perPass` samples each (none when a single series holds more: `countRefs` is asked for no
 * more than `perPass` a series), leaving out ranges with no samples. Consecutive refs are series
 * created together, mostly one target's families, which Snappy compresses best side by side.
 */
export function refRanges(counts: Uint32Array, perPass: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let from = 0;
  let held = 0;
  for (let ref = 0; ref < counts.length; ref++) {
    const n = counts[ref]!;
    if (n === 0) continue;
    if (held + n > perPass) {
      ranges.push([from, ref]);
      from = ref;
      held = 0;
    }
    held += n;
  }
  // The last range is open at the top, so that reading goes on from the span's end (`WalConsumer.readRefs`).
  if (held > 0) ranges.push([from, Number.POSITIVE_INFINITY]);
  return ranges;
}
