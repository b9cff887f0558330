package tokenizer

import (
	"fmt"
	"runtime"
)

// Merge is one learned rule: the adjacent tokens Left and Right become
// token ID. Its rank is its index in the merge list; lower ranks apply
// first when encoding.
type Merge struct {
	Left, Right, ID int32
}

// Special is a token whose text is a marker such as <|endoftext|>; plain
// text never encodes to it.
type Special struct {
	ID      int32
	Content string
}

// Tokenizer is a trained byte-level BPE tokenizer. It is safe for
// concurrent use by several goroutines.
type Tokenizer struct {
	tokens   [][]byte   // id → bytes; a special's marker text
	special  []bool     // id → is a special token
	specials []Special  // in id order
	byteID   [256]int32 // byte → id of its one-byte token
	merges   []Merge    // rank order
	ranks    pairTable  // (left, right) → rank and merged id
	pool     chan *encoder
}

// newTokenizer checks that the pieces describe a usable tokenizer and
// builds the merge lookup table.
func newTokenizer(tokens [][]byte, specials []Special, byteID [256]int32,
	merges []Merge) (*Tokenizer, error) {
	t := &Tokenizer{
		tokens:   tokens,
		special:  make([]bool, len(tokens)),
		specials: specials,
		byteID:   byteID,
		merges:   merges,
	}
	for _, s := range specials {
		if s.ID < 0 || int(s.ID) >= len(tokens) {
			return nil, fmt.Errorf("tokenizer: special %q: id %d out of "+
				"range [0, %d)", s.Content, s.ID, len(tokens))
		}
		t.special[s.ID] = true
	}
	t.ranks = newPairTable(len(merges))
	for r, m := range merges {
		for _, id := range [3]int32{m.Left, m.Right, m.ID} {
			if id < 0 || int(id) >= len(tokens) || t.special[id] {
				return nil, fmt.Errorf("tokenizer: merge %d: id %d is "+
					"not a plain token of a %d-token vocabulary",
					r, id, len(tokens))
			}
		}
		t.ranks.put(m.Left, m.Right, int32(r), m.ID)
	}
	t.pool = make(chan *encoder, runtime.GOMAXPROCS(0))
	return t, nil
}

// VocabSize returns the number of token ids: bytes, specials and merged
// tokens. Ids run from 0 to VocabSize()-1 without gaps.
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// TokenBytes returns the bytes of token id (the marker text for a special
// token), or nil when id is out of range. The slice must not be modified.
func (t *Tokenizer) TokenBytes(id int32) []byte {
	if id < 0 || int(id) >= len(t.tokens) {
		return nil
	}
	return t.tokens[id]
}

// IsSpecial reports whether id is a special token.
func (t *Tokenizer) IsSpecial(id int32) bool {
	return id >= 0 && int(id) < len(t.special) && t.special[id]
}

// Specials returns the special tokens in id order.
func (t *Tokenizer) Specials() []Special {
	return append([]Special(nil), t.specials...)
}

// Merges returns the merge list in rank order.
func (t *Tokenizer) Merges() []Merge {
	return append([]Merge(nil), t.merges...)
}

// Decode concatenates the bytes of ids. Special ids yield their marker
// text; ids outside the vocabulary are skipped, so that a model whose
// output layer is padded past VocabSize cannot make it fail.
func (t *Tokenizer) Decode(ids []int32) []byte {
	n := 0
	for _, id := range ids {
		n += len(t.TokenBytes(id))
	}
	out := make([]byte, 0, n)
	for _, id := range ids {
		out = append(out, t.TokenBytes(id)...)
	}
	return out
}
