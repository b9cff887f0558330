package tokenizer

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// testCorpus mixes scripts, digits and whitespace so that merges of every
// kind exist.
const testCorpus = `First Citizen:
Before we proceed any further, hear me speak. I'm sure they'll say it's
1234 or 56.7 -- "quoted" (parens)... 中文分词器的工作原理很简单，先切分再合并。
日本語のテキストも少し。 Ελληνικά και русский текст. 👍🏽 🇫🇷
	tabbed line
    indented line
`

var (
	sharedOnce sync.Once
	sharedTok  *Tokenizer
)

// testTokenizer trains once on testCorpus repeated with variations.
func testTokenizer(t testing.TB) *Tokenizer {
	sharedOnce.Do(func() {
		var docs []string
		for i := range 50 {
			docs = append(docs, strings.Repeat(testCorpus, i%3+1))
		}
		tok, err := Train(slices.Values(docs), 700, TrainOptions{})
		if err != nil {
			panic(err)
		}
		sharedTok = tok
	})
	return sharedTok
}

var roundTripCases = []struct {
	name string
	in   string
}{
	{"empty", ""},
	{"ascii", "Hello, world!"},
	{"invalid utf8", "ok\xff\xfe\xc0\x80 \xe4\xb8 broken"},
	{"lone continuation", "\x80\x80abc\xbf"},
	{"zwj emoji", "👨\u200d👩\u200d👧\u200d👦 family"},
	{"flags", "🇫🇷🇯🇵🇺🇸"},
	{"skin tone", "👍🏽👍🏿"},
	{"combining marks", "e\u0301 a\u0308\u0308 Z\u0351\u0352o"},
	{"nfd and nfc differ", "\u00e9 vs e\u0301"},
	{"crlf", "line one\r\nline two\r\n\r\n"},
	{"tabs", "\t\tcode\t\n\t"},
	{"nul and controls", "a\x00b\x01\x1f\x7f"},
	{"literal markers", "<|endoftext|><|pad|><|system|><|user|>" +
		"<|assistant|><|end|>"},
	{"long cjk run", strings.Repeat("中文分词器的工作原理很简单", 40)},
	{"long letter run", strings.Repeat("ab", 500)},
	{"all bytes", allBytes()},
}

func allBytes() string {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return string(b)
}

func TestRoundTrip(t *testing.T) {
	tok := testTokenizer(t)
	cases := roundTripCases
	for n := 1; n <= 64; n++ {
		cases = append(cases, struct{ name, in string }{
			"spaces " + strings.Repeat("_", n%10) + string(rune('0'+n/10)),
			"x" + strings.Repeat(" ", n) + "y" + strings.Repeat(" ", n)})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ids := tok.Encode(tc.in)
			if got := tok.Decode(ids); !bytes.Equal(got, []byte(tc.in)) {
				t.Fatalf("Decode(Encode(%q)) = %q", tc.in, got)
			}
			for _, id := range ids {
				if tok.IsSpecial(id) {
					t.Fatalf("Encode(%q) produced special id %d",
						tc.in, id)
				}
			}
		})
	}
}

func TestSpecialTokens(t *testing.T) {
	tok := testTokenizer(t)
	want := map[int32]string{
		EndOfText: "<|endoftext|>", Pad: "<|pad|>", System: "<|system|>",
		User: "<|user|>", Assistant: "<|assistant|>", End: "<|end|>",
	}
	for id, marker := range want {
		if got := string(tok.Decode([]int32{id})); got != marker {
			t.Errorf("Decode(%d) = %q, want %q", id, got, marker)
		}
		if !tok.IsSpecial(id) || SpecialMarker(id) != marker {
			t.Errorf("id %d: IsSpecial or SpecialMarker wrong", id)
		}
	}
	if tok.IsSpecial(FirstMerge) || tok.IsSpecial('a') {
		t.Error("plain tokens reported special")
	}
	// Ids outside the vocabulary decode to nothing.
	bad := []int32{'a', -1, int32(tok.VocabSize()), 'b'}
	if got := tok.Decode(bad); string(got) != "ab" {
		t.Errorf("Decode with bad ids = %q, want \"ab\"", got)
	}
}

// naiveEncode applies merges to each pre-token in the textbook way: find
// the lowest-rank adjacent pair, merge its leftmost occurrence, repeat.
func naiveEncode(tok *Tokenizer, text string) []int32 {
	var out []int32
	for _, p := range Split(text) {
		syms := make([]int32, len(p))
		for i := range len(p) {
			syms[i] = tok.byteID[p[i]]
		}
		for {
			best, bestRank, bestID := -1, int32(0), int32(0)
			for i := 0; i+1 < len(syms); i++ {
				r, id, ok := tok.ranks.get(syms[i], syms[i+1])
				if ok && (best < 0 || r < bestRank) {
					best, bestRank, bestID = i, r, id
				}
			}
			if best < 0 {
				break
			}
			syms[best] = bestID
			syms = append(syms[:best+1], syms[best+2:]...)
		}
		out = append(out, syms...)
	}
	return out
}

func TestEncodeMatchesNaive(t *testing.T) {
	tok := testTokenizer(t)
	rng := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"中文", "分词", "the", " ", "  ", "\n", "ab", "12",
		"'s", "...", "\xff", "é", "👍🏽", strings.Repeat("工作原理", 30)}
	for i := range 200 {
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		text := b.String()
		got, want := tok.Encode(text), naiveEncode(tok, text)
		if !slices.Equal(got, want) {
			t.Fatalf("case %d: Encode(%q) = %v, naive %v", i, text,
				got, want)
		}
	}
}

// TestEncodeParallelMatchesSequential encodes an input large enough to
// be cut across cores and compares with one encoder on the whole.
func TestEncodeParallelMatchesSequential(t *testing.T) {
	tok := testTokenizer(t)
	text := strings.Repeat(testCorpus+"\n\n  x\r\n", 400)
	if len(text) < 2*parallelMin {
		t.Fatalf("text of %d bytes is too small to split", len(text))
	}
	e := &encoder{t: tok, cache: map[string][]int32{}}
	want := e.encode(text, nil)
	if got := tok.Encode(text); !slices.Equal(got, want) {
		t.Fatal("parallel Encode differs from sequential encoding")
	}
	lines := strings.Split(text, "\n")
	batch := tok.EncodeBatch(lines)
	for i, l := range lines {
		if !slices.Equal(batch[i], naiveEncode(tok, l)) {
			t.Fatalf("EncodeBatch line %d differs", i)
		}
	}
}

func FuzzRoundTrip(f *testing.F) {
	for _, tc := range roundTripCases {
		f.Add(tc.in)
	}
	tok := testTokenizer(f)
	f.Fuzz(func(t *testing.T, s string) {
		ids := tok.Encode(s)
		if got := tok.Decode(ids); !bytes.Equal(got, []byte(s)) {
			t.Fatalf("Decode(Encode(%q)) = %q", s, got)
		}
		var pieces strings.Builder
		for _, p := range Split(s) {
			if p == "" {
				t.Fatalf("Split(%q) has an empty piece", s)
			}
			pieces.WriteString(p)
		}
		if pieces.String() != s {
			t.Fatalf("Split(%q) does not concatenate back", s)
		}
		// The naive reference is quadratic; keep it to modest inputs.
		if len(s) > 4096 {
			return
		}
		if want := naiveEncode(tok, s); !slices.Equal(ids, want) {
			t.Fatalf("Encode(%q) = %v, naive %v", s, ids, want)
		}
	})
}
