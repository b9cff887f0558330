package tokenizer

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Tuning constants of the encoder.
const (
	// cacheLimit bounds each encoder's pre-token cache; a full cache is
	// emptied and refilled, which keeps memory flat on endless streams.
	cacheLimit = 1 << 16
	// heapThreshold is the pre-token length, in bytes, above which BPE
	// runs on a linked list with a heap instead of rescanning the word
	// after each merge: O(n log n) instead of O(n²) for CJK runs.
	heapThreshold = 64
	// parallelMin is the input size, in bytes, from which Encode splits
	// its input across cores.
	parallelMin = 1 << 16
	// chunkSize is the target size of the pieces a large input is cut
	// into for parallel encoding.
	chunkSize = 1 << 16
)

// encoder is the per-goroutine state of encoding: a cache of pre-token
// → ids and scratch space. Tokenizer keeps a small pool of them.
type encoder struct {
	t     *Tokenizer
	cache map[string][]int32
	syms  []int32
	ranks []int32
	lw    longWord
}

func (t *Tokenizer) getEncoder() *encoder {
	select {
	case e := <-t.pool:
		return e
	default:
		return &encoder{t: t, cache: make(map[string][]int32)}
	}
}

func (t *Tokenizer) putEncoder(e *encoder) {
	select {
	case t.pool <- e:
	default:
	}
}

// Encode returns the token ids of text. It never produces a special id,
// even when text holds a marker such as <|endoftext|>. Large inputs are
// cut at pre-token boundaries and encoded on all cores; the result is the
// same as a sequential encoding.
func (t *Tokenizer) Encode(text string) []int32 {
	workers := runtime.GOMAXPROCS(0)
	if len(text) < parallelMin || workers == 1 {
		e := t.getEncoder()
		defer t.putEncoder(e)
		return e.encode(text, make([]int32, 0, len(text)/3+1))
	}
	chunks := splitChunks(text, chunkSize)
	parts := make([][]int32, len(chunks))
	t.parallel(len(chunks), workers, func(e *encoder, i int) {
		parts[i] = e.encode(chunks[i], make([]int32, 0, len(chunks[i])/3+1))
	})
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]int32, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// EncodeBatch encodes each text on all cores; out[i] is Encode(texts[i]).
func (t *Tokenizer) EncodeBatch(texts []string) [][]int32 {
	out := make([][]int32, len(texts))
	t.parallel(len(texts), runtime.GOMAXPROCS(0), func(e *encoder, i int) {
		out[i] = e.encode(texts[i], make([]int32, 0, len(texts[i])/3+1))
	})
	return out
}

// parallel calls job(e, i) for i in [0, n) on up to workers goroutines,
// each with its own encoder. Jobs are handed out in blocks of indices.
func (t *Tokenizer) parallel(n, workers int, job func(*encoder, int)) {
	const block = 16
	var next atomic.Int64
	work := func() {
		e := t.getEncoder()
		defer t.putEncoder(e)
		for {
			lo := int(next.Add(block)) - block
			if lo >= n {
				return
			}
			for i := lo; i < min(lo+block, n); i++ {
				job(e, i)
			}
		}
	}
	workers = min(workers, (n+block-1)/block)
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
}

// splitChunks cuts text into pieces of about size bytes. Each cut falls
// right after a '\n' that is followed by a character other than
// whitespace: no pattern alternative can reach across such a point, so
// encoding the pieces one by one equals encoding the whole.
func splitChunks(text string, size int) []string {
	var chunks []string
	start := 0
	for i := size; i < len(text)-1; i++ {
		if text[i] != '\n' {
			continue
		}
		if c, _ := classAt(text, i+1); c == clsSpace || c == clsNewline {
			continue
		}
		chunks = append(chunks, text[start:i+1])
		start = i + 1
		i = start + size - 1
	}
	return append(chunks, text[start:])
}

// encode appends the ids of text to out.
func (e *encoder) encode(text string, out []int32) []int32 {
	for i := 0; i < len(text); {
		j := nextPiece(text, i)
		out = e.piece(text[i:j], out)
		i = j
	}
	return out
}

// piece appends the ids of one pre-token, through the cache.
func (e *encoder) piece(p string, out []int32) []int32 {
	if len(p) == 1 {
		return append(out, e.t.byteID[p[0]])
	}
	if ids, ok := e.cache[p]; ok {
		return append(out, ids...)
	}
	var ids []int32
	if len(p) > heapThreshold {
		ids = e.lw.bpe(e.t, p)
	} else {
		ids = e.bpe(p)
	}
	if len(e.cache) >= cacheLimit {
		clear(e.cache)
	}
	e.cache[string([]byte(p))] = ids
	return append(out, ids...)
}

// bpe merges the bytes of a short pre-token: it keeps the rank of each
// adjacent pair, merges the leftmost pair of lowest rank, and updates
// only the two ranks next to the merge.
func (e *encoder) bpe(p string) []int32 {
	const none = int32(1<<31 - 1)
	syms, ranks := e.syms[:0], e.ranks[:0]
	for i := range len(p) {
		syms = append(syms, e.t.byteID[p[i]])
	}
	rankOf := func(i int) int32 {
		if r, _, ok := e.t.ranks.get(syms[i], syms[i+1]); ok {
			return r
		}
		return none
	}
	for i := 0; i+1 < len(syms); i++ {
		ranks = append(ranks, rankOf(i))
	}
	for len(ranks) > 0 {
		best := 0
		for i, r := range ranks {
			if r < ranks[best] {
				best = i
			}
		}
		if ranks[best] == none {
			break
		}
		_, syms[best], _ = e.t.ranks.get(syms[best], syms[best+1])
		syms = append(syms[:best+1], syms[best+2:]...)
		ranks = append(ranks[:best], ranks[best+1:]...)
		if best < len(ranks) {
			ranks[best] = rankOf(best)
		}
		if best > 0 {
			ranks[best-1] = rankOf(best - 1)
		}
	}
	e.syms, e.ranks = syms, ranks
	return append([]int32(nil), syms...)
}
