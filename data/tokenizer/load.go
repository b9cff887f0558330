package tokenizer

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// hfFile is the part of a Hugging Face tokenizer.json that Load reads.
type hfFile struct {
	AddedTokens []struct {
		ID      int32  `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	} `json:"added_tokens"`
	Normalizer   json.RawMessage `json:"normalizer"`
	PreTokenizer json.RawMessage `json:"pre_tokenizer"`
	Model        struct {
		Type   string           `json:"type"`
		Vocab  map[string]int32 `json:"vocab"`
		Merges json.RawMessage  `json:"merges"`
	} `json:"model"`
}

// Load reads a tokenizer.json written by Save, or a Hugging Face
// byte-level BPE file with the same pipeline (no normalizer, the cl100k
// split, byte-level alphabet) and any ids, merges and special tokens.
func Load(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: load: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return t, nil
}

// Read reads a tokenizer.json document from r, as Load does from a file.
func Read(r io.Reader) (*Tokenizer, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: read: %w", err)
	}
	return Parse(data)
}

// UnmarshalJSON replaces t with the tokenizer.json document in data.
func (t *Tokenizer) UnmarshalJSON(data []byte) error {
	parsed, err := Parse(data)
	if err != nil {
		return err
	}
	*t = *parsed
	return nil
}

// Parse builds a tokenizer from a tokenizer.json document.
func Parse(data []byte) (*Tokenizer, error) {
	var f hfFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("tokenizer: parse tokenizer.json: %w", err)
	}
	if err := checkPipeline(&f); err != nil {
		return nil, err
	}
	tokens, special, specials, err := readVocab(&f)
	if err != nil {
		return nil, err
	}
	var byteID [256]int32
	for b := range byteID {
		id, ok := f.Model.Vocab[byteLevelString([]byte{byte(b)})]
		if !ok || special[id] {
			return nil, fmt.Errorf("tokenizer: model.vocab: byte %#02x "+
				"has no token; not a byte-level vocabulary", b)
		}
		byteID[b] = id
	}
	merges, err := readMerges(&f)
	if err != nil {
		return nil, err
	}
	return newTokenizer(tokens, specials, byteID, merges)
}

// checkPipeline rejects files whose text pipeline Encode would not
// reproduce exactly.
func checkPipeline(f *hfFile) error {
	if f.Model.Type != "BPE" {
		return fmt.Errorf("tokenizer: model.type %q: want \"BPE\"",
			f.Model.Type)
	}
	if n := bytes.TrimSpace(f.Normalizer); len(n) > 0 &&
		string(n) != "null" {
		return fmt.Errorf("tokenizer: normalizer %s: unsupported, "+
			"want null", n)
	}
	var got, want any
	if err := json.Unmarshal(f.PreTokenizer, &got); err != nil {
		return fmt.Errorf("tokenizer: pre_tokenizer: %w", err)
	}
	wantDoc := fmt.Sprintf(hfPreTokenizer, appendQuoted(nil, Pattern))
	if err := json.Unmarshal([]byte(wantDoc), &want); err != nil {
		panic("tokenizer: bad built-in pre_tokenizer: " + err.Error())
	}
	if !sameJSON(got, want) {
		return fmt.Errorf("tokenizer: pre_tokenizer %s: unsupported, "+
			"want the cl100k Split then ByteLevel without regex",
			f.PreTokenizer)
	}
	return nil
}

// sameJSON compares decoded JSON values; keys that differ only by
// trim_offsets are ignored, since it does not change ids.
func sameJSON(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range bm {
			if k != "trim_offsets" && !sameJSON(a[k], v) {
				return false
			}
		}
		return true
	case []any:
		bs, ok := b.([]any)
		if !ok || len(a) != len(bs) {
			return false
		}
		for i := range a {
			if !sameJSON(a[i], bs[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

// readVocab lays out tokens by id from the vocab and the added tokens.
func readVocab(f *hfFile) (tokens [][]byte, special []bool,
	specials []Special, err error) {
	n := len(f.Model.Vocab)
	for _, a := range f.AddedTokens {
		n = max(n, int(a.ID)+1)
	}
	tokens, special = make([][]byte, n), make([]bool, n)
	for _, a := range f.AddedTokens {
		if !a.Special {
			return nil, nil, nil, fmt.Errorf("tokenizer: added token "+
				"%q: non-special added tokens are unsupported", a.Content)
		}
		if a.ID < 0 || tokens[a.ID] != nil {
			return nil, nil, nil, fmt.Errorf("tokenizer: added token "+
				"%q: bad or repeated id %d", a.Content, a.ID)
		}
		tokens[a.ID], special[a.ID] = []byte(a.Content), true
		specials = append(specials, Special{ID: a.ID, Content: a.Content})
	}
	for key, id := range f.Model.Vocab {
		if id < 0 || int(id) >= n {
			return nil, nil, nil, fmt.Errorf("tokenizer: model.vocab "+
				"%q: id %d out of range [0, %d)", key, id, n)
		}
		if special[id] {
			continue // the added token's content wins
		}
		raw, ok := byteLevelBytes(key)
		if !ok || tokens[id] != nil {
			return nil, nil, nil, fmt.Errorf("tokenizer: model.vocab "+
				"%q (id %d): not byte-level or id repeated", key, id)
		}
		tokens[id] = raw
	}
	for id, tok := range tokens {
		if tok == nil {
			return nil, nil, nil, fmt.Errorf("tokenizer: model.vocab: "+
				"id %d missing; ids must run from 0 to %d", id, n-1)
		}
	}
	slices.SortFunc(specials, func(a, b Special) int {
		return cmp.Compare(a.ID, b.ID)
	})
	return tokens, special, specials, nil
}

// readMerges accepts both spellings of merges: "a b" strings and
// ["a", "b"] pairs.
func readMerges(f *hfFile) ([]Merge, error) {
	var pairs [][2]string
	var lines []string
	if err := json.Unmarshal(f.Model.Merges, &lines); err == nil {
		for i, l := range lines {
			a, b, ok := strings.Cut(l, " ")
			if !ok {
				return nil, fmt.Errorf("tokenizer: model.merges[%d] "+
					"%q: want two tokens", i, l)
			}
			pairs = append(pairs, [2]string{a, b})
		}
	} else if err := json.Unmarshal(f.Model.Merges, &pairs); err != nil {
		return nil, fmt.Errorf("tokenizer: model.merges: %w", err)
	}
	merges := make([]Merge, len(pairs))
	for i, p := range pairs {
		l, okL := f.Model.Vocab[p[0]]
		r, okR := f.Model.Vocab[p[1]]
		id, okID := f.Model.Vocab[p[0]+p[1]]
		if !okL || !okR || !okID {
			return nil, fmt.Errorf("tokenizer: model.merges[%d] %q %q: "+
				"a token is missing from model.vocab", i, p[0], p[1])
		}
		merges[i] = Merge{Left: l, Right: r, ID: id}
	}
	return merges, nil
}
