package tokenizer

// longWord runs BPE on a long pre-token in O(n log n): symbols form a
// doubly linked list over the original byte positions and a min-heap
// holds candidate merges ordered by (rank, position). Popping the
// smallest valid entry repeatedly applies the leftmost lowest-rank merge,
// the same order as encoder.bpe and Hugging Face's merge loop.
type longWord struct {
	sym        []int32 // position → symbol; -1 once merged away
	prev, next []int32 // linked list over positions; -1 at the ends
	heap       []candidate
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
	lw.heap = lw.heap[:0]
	for i := range n {
		lw.sym = append(lw.sym, t.byteID[p[i]])
		lw.prev = append(lw.prev, int32(i-1))
		lw.next = append(lw.next, int32(i+1))
	}
	lw.next[n-1] = -1
	for i := 0; i+1 < n; i++ {
		lw.propose(t, int32(i))
	}

	for len(lw.heap) > 0 {
		c := lw.pop()
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
	lw.push(candidate{rank: rank, pos: pos, id: id, left: l, right: r})
}

func (lw *longWord) less(i, j int) bool {
	a, b := &lw.heap[i], &lw.heap[j]
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.pos < b.pos
}

func (lw *longWord) push(c candidate) {
	lw.heap = append(lw.heap, c)
	for i := len(lw.heap) - 1; i > 0; {
		parent := (i - 1) / 2
		if !lw.less(i, parent) {
			break
		}
		lw.heap[i], lw.heap[parent] = lw.heap[parent], lw.heap[i]
		i = parent
	}
}

func (lw *longWord) pop() candidate {
	top := lw.heap[0]
	last := len(lw.heap) - 1
	lw.heap[0] = lw.heap[last]
	lw.heap = lw.heap[:last]
	for i := 0; ; {
		l, r, best := 2*i+1, 2*i+2, i
		if l < last && lw.less(l, best) {
			best = l
		}
		if r < last && lw.less(r, best) {
			best = r
		}
		if best == i {
			break
		}
		lw.heap[i], lw.heap[best] = lw.heap[best], lw.heap[i]
		i = best
	}
	return top
}
