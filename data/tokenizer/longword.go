package tokenizer

// longWord runs BPE on a long pre-token in O(n log n): symbols form a
// doubly linked list over the original byte positions and a min-heap
// holds candidate merges ordered by (rank, position). Popping the
// smallest valid entry repeatedly applies the leftmost lowest-rank merge,
// the same order as encoder.bpe and Hugging Face's merge loop.
type longWord struct {
	sym        []int32 // position → symbol; -1 once merged away
	prev, next []int32 // linked list over positions; -1 at the ends
	heap       heap[candidate]
}

// candidate proposes merging the symbol at pos with its right neighbour
// into id; it is stale once either symbol has changed.
type candidate struct {
	rank, pos, id int32
	right         int32 // symbol expected right of pos
	left          int32 // symbol expected at pos
}

func (lw *longWord) bpe(t *Tokenizer, p string) []int32 {
	n := len(p)
	lw.sym, lw.prev, lw.next = lw.sym[:0], lw.prev[:0], lw.next[:0]
	lw.heap.reset()
	for i := range n {
		lw.sym = append(lw.sym, t.byteID[p[i]])
		lw.prev = append(lw.prev, int32(i-1))
		lw.next = append(lw.next, int32(i+1))
	}
	lw.next[n-1] = -1
	for i := 0; i+1 < n; i++ {
		lw.propose(t, int32(i))
	}

	for lw.heap.len() > 0 {
		c := lw.heap.pop()
		nx := lw.next[c.pos]
		if lw.sym[c.pos] != c.left || nx < 0 || lw.sym[nx] != c.right {
			continue
		}
		// Merge: pos absorbs its right neighbour.
		lw.sym[c.pos] = c.id
		lw.sym[nx] = -1
		lw.next[c.pos] = lw.next[nx]
		if lw.next[nx] >= 0 {
			lw.prev[lw.next[nx]] = c.pos
		}
		if pv := lw.prev[c.pos]; pv >= 0 {
			lw.propose(t, pv)
		}
		lw.propose(t, c.pos)
	}

	var out []int32
	for i := int32(0); i >= 0; i = lw.next[i] {
		out = append(out, lw.sym[i])
	}
	return out
}

// propose queues the merge of the symbol at pos with its right neighbour,
// if the pair has a merge.
func (lw *longWord) propose(t *Tokenizer, pos int32) {
	nx := lw.next[pos]
	if nx < 0 {
		return
	}
	l, r := lw.sym[pos], lw.sym[nx]
	rank, id, ok := t.ranks.get(l, r)
	if !ok {
		return
	}
	lw.heap.push(candidate{rank: rank, pos: pos, id: id, left: l, right: r})
}

// before orders candidates by rank, then leftmost first.
func (a candidate) before(b candidate) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.pos < b.pos
}
