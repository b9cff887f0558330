package tokenizer

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// docsOf adapts a slice to the iterator Train takes.
func docsOf(docs ...string) func(func(string) bool) {
	return slices.Values(docs)
}

// TestTrainByHand pins the merges of "aaabdaaabac", worked out by hand:
// aa (4 times); then ab and (aa,a) tie at 2 and ab wins on the smaller
// left id (97 < 262); aa+ab; then four pairs of count 1, where the
// smallest left id wins each time: a+c, d+aaab, aaab+daaab, then the
// whole word. No pair is left after that, so training stops early.
func TestTrainByHand(t *testing.T) {
	tok, err := Train(docsOf("aaabdaaabac"), 1000, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Merge{
		{'a', 'a', 262}, {'a', 'b', 263}, {262, 263, 264},
		{'a', 'c', 265}, {'d', 264, 266}, {264, 266, 267},
		{267, 265, 268},
	}
	if got := tok.Merges(); !slices.Equal(got, want) {
		t.Fatalf("merges = %v, want %v", got, want)
	}
	if tok.VocabSize() != 269 {
		t.Errorf("VocabSize = %d, want 269", tok.VocabSize())
	}
	if got := string(tok.TokenBytes(268)); got != "aaabdaaabac" {
		t.Errorf("token 268 = %q", got)
	}
	if got := tok.Encode("aaabdaaabac"); !slices.Equal(got, []int32{268}) {
		t.Errorf("Encode = %v, want [268]", got)
	}
	if got := tok.Encode("aaab ac"); !slices.Equal(got,
		[]int32{264, ' ', 265}) {
		t.Errorf("Encode(aaab ac) = %v, want [264 32 265]", got)
	}
}

func TestTrainVocabSizes(t *testing.T) {
	tests := []struct {
		name    string
		vocab   int
		wantErr bool
		size    int
	}{
		{"below bytes and specials", 261, true, 0},
		{"bytes only", 262, false, 262},
		{"two merges", 264, false, 264},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := Train(docsOf("aaabdaaabac"), tc.vocab,
				TrainOptions{})
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(),
					"tokenizer: vocab size 261") {
					t.Fatalf("err = %v, want a vocab size error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tok.VocabSize() != tc.size {
				t.Errorf("VocabSize = %d, want %d", tok.VocabSize(),
					tc.size)
			}
		})
	}
}

func TestTrainMinFrequency(t *testing.T) {
	tok, err := Train(docsOf("aaabdaaabac"), 1000,
		TrainOptions{MinFrequency: 2})
	if err != nil {
		t.Fatal(err)
	}
	// aa (4), ab (2), aa+ab (2); then every pair occurs once.
	if n := len(tok.Merges()); n != 3 {
		t.Errorf("got %d merges, want 3", n)
	}
}

// naiveTrain is the textbook algorithm: recount every pair before each
// merge. The incremental trainer must learn exactly the same merges.
func naiveTrain(docs []string, vocabSize int) []Merge {
	counts := map[string]int64{}
	for _, d := range docs {
		countPieces(d, counts)
	}
	var words [][]int32
	var freq []int64
	for w, n := range counts {
		syms := make([]int32, len(w))
		for i := range len(w) {
			syms[i] = int32(w[i])
		}
		words, freq = append(words, syms), append(freq, n)
	}
	tokens := map[int32]string{}
	ids := map[string]int32{}
	for b := range 256 {
		tokens[int32(b)] = string([]byte{byte(b)})
	}
	next := int32(FirstMerge)
	var merges []Merge
	for int(next) < vocabSize {
		pairs := map[uint64]int64{}
		for w, syms := range words {
			for i := 0; i+1 < len(syms); i++ {
				pairs[pairKey(syms[i], syms[i+1])] += freq[w]
			}
		}
		var best uint64
		var bestN int64
		for p, n := range pairs {
			if n > bestN || (n == bestN && p < best) {
				best, bestN = p, n
			}
		}
		if bestN == 0 {
			break
		}
		l, r := int32(best>>32), int32(uint32(best))
		joined := tokens[l] + tokens[r]
		id, ok := ids[joined]
		if !ok {
			id, next = next, next+1
			ids[joined], tokens[id] = id, joined
		}
		merges = append(merges, Merge{l, r, id})
		for w, syms := range words {
			out := []int32{}
			for i := 0; i < len(syms); i++ {
				if i+1 < len(syms) && syms[i] == l && syms[i+1] == r {
					out = append(out, id)
					i++
				} else {
					out = append(out, syms[i])
				}
			}
			words[w] = out
		}
	}
	return merges
}

// randomDocs draws text from a tiny alphabet so that pairs repeat,
// overlap (aaa) and produce the same bytes along two merge paths.
func randomDocs(rng *rand.Rand, n int, alphabet []string) []string {
	docs := make([]string, n)
	for d := range docs {
		var b strings.Builder
		for range rng.IntN(60) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		docs[d] = b.String()
	}
	return docs
}

func TestTrainMatchesNaive(t *testing.T) {
	tests := []struct {
		name     string
		alphabet []string
		vocab    int
	}{
		{"two letters", []string{"a", "b"}, 400},
		{"letters and spaces", []string{"a", "b", "c", " ", "  "}, 500},
		{"cjk and digits", []string{"中", "文", "1", "2", " ", "\n",
			"'s", "."}, 600},
		{"long runs cut for training", []string{"ab", "ba",
			strings.Repeat("x", 150)}, 400},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			docs := randomDocs(rng, 200, tc.alphabet)
			tok, err := Train(slices.Values(docs), tc.vocab,
				TrainOptions{Workers: 3})
			if err != nil {
				t.Fatal(err)
			}
			want := naiveTrain(docs, tc.vocab)
			if got := tok.Merges(); !slices.Equal(got, want) {
				t.Fatalf("merges differ from naive training: got %d, "+
					"want %d; first got %v want %v", len(got),
					len(want), head(got), head(want))
			}
		})
	}
}

func head(m []Merge) []Merge { return m[:min(len(m), 5)] }

// TestTrainDeterministic trains twice with different worker counts,
// which changes map and word order but must not change the result.
func TestTrainDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	docs := randomDocs(rng, 300, []string{"x", "y", "z", " ", "xy"})
	a, err := Train(slices.Values(docs), 500, TrainOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(slices.Values(docs), 500, TrainOptions{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Merges(), b.Merges()) {
		t.Error("merges depend on the number of workers")
	}
}
