package tokenizer

// trainer holds the state of BPE training over distinct words: each word
// is a symbol sequence with a count, pair counts are kept up to date
// incrementally, and a lazy max-heap picks the next merge.
type trainer struct {
	words  [][]int32          // word → symbols
	freq   []int64            // word → occurrences in the corpus
	counts map[uint64]int64   // pair → occurrences
	where  map[uint64][]int32 // pair → words that held it (may be stale)
	heap   heap[pairCount]
	stamp  []int32 // word → last merge that visited it, plus 1

	tokens [][]byte         // id → bytes
	ids    map[string]int32 // token bytes → id, to reuse duplicates
	merges []Merge
	grown  map[uint64]struct{} // pairs whose count grew in this step
}

func newTrainer(counts map[string]int64) *trainer {
	tr := &trainer{
		counts: make(map[uint64]int64),
		where:  make(map[uint64][]int32),
		ids:    make(map[string]int32),
		grown:  make(map[uint64]struct{}),
	}
	for b := range ByteVocab {
		tr.tokens = append(tr.tokens, []byte{byte(b)})
	}
	for _, m := range specialMarkers {
		tr.tokens = append(tr.tokens, []byte(m))
	}

	// Count every adjacent pair once per word type, weighted by freq.
	for word, n := range counts {
		w := int32(len(tr.words))
		syms := make([]int32, len(word))
		for i := range len(word) {
			syms[i] = int32(word[i])
		}
		tr.words = append(tr.words, syms)
		tr.freq = append(tr.freq, n)
		for i := 0; i+1 < len(syms); i++ {
			tr.add(pairKey(syms[i], syms[i+1]), n, w)
		}
	}
	tr.stamp = make([]int32, len(tr.words))
	for p, n := range tr.counts {
		tr.heap.push(pairCount{pair: p, count: n})
	}
	clear(tr.grown)
	return tr
}

// add changes the count of pair p by n; a positive change also notes
// that word w holds p.
func (tr *trainer) add(p uint64, n int64, w int32) {
	tr.counts[p] += n
	if n <= 0 {
		return
	}
	tr.grown[p] = struct{}{}
	if ws := tr.where[p]; len(ws) == 0 || ws[len(ws)-1] != w {
		tr.where[p] = append(ws, w)
	}
}

// run merges pairs until the vocabulary has vocabSize tokens or the most
// frequent pair occurs fewer than minFreq times.
func (tr *trainer) run(vocabSize, minFreq int) {
	for len(tr.tokens) < vocabSize && tr.heap.len() > 0 {
		top := tr.heap.pop()
		cur := tr.counts[top.pair]
		if cur != top.count {
			// A stale entry: the true count is lower (or the pair is
			// gone); queue it again at its current value.
			if cur > 0 {
				tr.heap.push(pairCount{pair: top.pair, count: cur})
			}
			continue
		}
		if cur < int64(minFreq) {
			return
		}
		tr.merge(int32(top.pair>>32), int32(uint32(top.pair)))
	}
}

// merge creates (or reuses) the token for left+right, rewrites every word
// that holds the pair and queues the pairs whose counts grew.
func (tr *trainer) merge(left, right int32) {
	joined := string(tr.tokens[left]) + string(tr.tokens[right])
	id, ok := tr.ids[joined]
	if !ok {
		id = int32(len(tr.tokens))
		tr.tokens = append(tr.tokens, []byte(joined))
		tr.ids[joined] = id
	}
	tr.merges = append(tr.merges, Merge{Left: left, Right: right, ID: id})
	stamp := int32(len(tr.merges))

	p := pairKey(left, right)
	for _, w := range tr.where[p] {
		if tr.stamp[w] == stamp {
			continue
		}
		tr.stamp[w] = stamp
		tr.rewrite(w, left, right, id)
	}
	delete(tr.where, p)
	delete(tr.counts, p)
	for q := range tr.grown {
		if n := tr.counts[q]; n > 0 {
			tr.heap.push(pairCount{pair: q, count: n})
		}
	}
	clear(tr.grown)
}

// rewrite replaces, left to right, each occurrence of (left, right) in
// word w by id and moves the counts of the neighbouring pairs.
func (tr *trainer) rewrite(w, left, right, id int32) {
	syms, n := tr.words[w], tr.freq[w]
	out := syms[:0]
	for i := 0; i < len(syms); {
		if i+1 == len(syms) || syms[i] != left || syms[i+1] != right {
			out = append(out, syms[i])
			i++
			continue
		}
		if k := len(out); k > 0 {
			tr.add(pairKey(out[k-1], left), -n, w)
			tr.add(pairKey(out[k-1], id), n, w)
		}
		if i+2 < len(syms) {
			tr.add(pairKey(right, syms[i+2]), -n, w)
			tr.add(pairKey(id, syms[i+2]), n, w)
		}
		out = append(out, id)
		i += 2
	}
	tr.words[w] = out
}

// pairCount is a heap entry: a pair and its count when it was queued.
type pairCount struct {
	pair  uint64
	count int64
}

// before makes the pair queue a max-heap on count, then on the
// smaller pair key (smaller left id, then smaller right id), which makes
// ties deterministic.
func (a pairCount) before(b pairCount) bool {
	if a.count != b.count {
		return a.count > b.count
	}
	return a.pair < b.pair
}
