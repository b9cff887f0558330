package tokenizer

// ordered is an entry that knows whether it leaves a heap before
// another one.
type ordered[T any] interface {
	before(other T) bool
}

// heap is a binary heap whose top is the entry that comes before all
// others: the merge queue of long pre-tokens and the pair queue of the
// trainer. The zero value is empty and ready.
type heap[T ordered[T]] struct{ a []T }

func (h *heap[T]) len() int { return len(h.a) }

func (h *heap[T]) reset() { h.a = h.a[:0] }

func (h *heap[T]) push(e T) {
	h.a = append(h.a, e)
	for i := len(h.a) - 1; i > 0; {
		parent := (i - 1) / 2
		if !h.a[i].before(h.a[parent]) {
			break
		}
		h.a[i], h.a[parent] = h.a[parent], h.a[i]
		i = parent
	}
}

func (h *heap[T]) pop() T {
	top := h.a[0]
	last := len(h.a) - 1
	h.a[0] = h.a[last]
	h.a = h.a[:last]
	for i := 0; ; {
		l, r, best := 2*i+1, 2*i+2, i
		if l < last && h.a[l].before(h.a[best]) {
			best = l
		}
		if r < last && h.a[r].before(h.a[best]) {
			best = r
		}
		if best == i {
			break
		}
		h.a[i], h.a[best] = h.a[best], h.a[i]
		i = best
	}
	return top
}
