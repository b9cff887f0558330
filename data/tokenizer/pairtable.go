package tokenizer

// pairTable maps a pair of token ids to the rank and id of their merge.
// Encoding looks pairs up in its inner loop; an open-addressing table
// over one flat slice is several times faster there than a Go map.
type pairTable struct {
	slots []pairSlot
	mask  uint64
}

type pairSlot struct {
	key  uint64 // left<<32 | right, plus 1 so that 0 marks an empty slot
	rank int32
	id   int32
}

func pairKey(left, right int32) uint64 {
	return uint64(uint32(left))<<32 | uint64(uint32(right))
}

func newPairTable(n int) pairTable {
	size := 16
	for size < 2*n {
		size *= 2
	}
	return pairTable{slots: make([]pairSlot, size), mask: uint64(size - 1)}
}

// hash mixes the key (a Fibonacci multiply) so that nearby ids spread.
func (p *pairTable) hash(key uint64) uint64 {
	return (key * 0x9E3779B97F4A7C15) >> 20
}

// put records a merge; an existing pair keeps its first (lowest) rank.
func (p *pairTable) put(left, right, rank, id int32) {
	key := pairKey(left, right) + 1
	for h := p.hash(key) & p.mask; ; h = (h + 1) & p.mask {
		s := &p.slots[h]
		if s.key == key {
			return
		}
		if s.key == 0 {
			*s = pairSlot{key: key, rank: rank, id: id}
			return
		}
	}
}

// get returns the rank and merged id of (left, right); ok is false when
// the pair has no merge.
func (p *pairTable) get(left, right int32) (rank, id int32, ok bool) {
	key := pairKey(left, right) + 1
	for h := p.hash(key) & p.mask; ; h = (h + 1) & p.mask {
		s := &p.slots[h]
		if s.key == key {
			return s.rank, s.id, true
		}
		if s.key == 0 {
			return 0, 0, false
		}
	}
}
