package data

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeShard writes docs to a new shard and returns its path.
func writeShard(t testing.TB, vocab int, docs [][]int32) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.bin")
	sw, err := CreateShard(path, vocab)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if err := sw.WriteDoc(d, 3*len(d)); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestShardRoundTrip(t *testing.T) {
	docs := [][]int32{{1, 2, 3}, {}, {65535, 0, 261}}
	tests := []struct {
		name  string
		vocab int
		width int
		docs  [][]int32
	}{
		{"uint16", 65536, 2, docs},
		{"uint32", 70000, 4, append(docs, []int32{69999})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeShard(t, tt.vocab, tt.docs)
			s, err := OpenShard(path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var want []int32
			nbytes := 0
			for _, d := range tt.docs {
				want = append(want, endOfText)
				want = append(want, d...)
				nbytes += 3 * len(d)
			}
			got := make([]int32, s.Len())
			s.Read(got, 0)
			if !slices.Equal(got, want) {
				t.Errorf("tokens %v, want %v", got, want)
			}
			if s.At(len(want)-1) != want[len(want)-1] {
				t.Error("At disagrees with Read")
			}
			h := s.ShardHeader
			if h.Width != tt.width || h.Docs != int64(len(tt.docs)) ||
				h.Bytes != int64(nbytes) || h.VocabSize != tt.vocab {
				t.Errorf("header %+v", h)
			}
			st, _ := os.Stat(path)
			if st.Size() != ShardHeaderSize+int64(len(want)*tt.width) {
				t.Errorf("file size %d", st.Size())
			}
		})
	}
}

func TestShardErrors(t *testing.T) {
	good := writeShard(t, 300, [][]int32{{1, 2, 3}})
	body, _ := os.ReadFile(good)
	dir := t.TempDir()
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"truncated tokens", body[:len(body)-1], "truncated"},
		{"truncated header", body[:10], "truncated"},
		{"empty", nil, "truncated"},
		{"bad magic", append([]byte("NOTSHARD"), body[8:]...), "magic"},
		{"extra bytes", append(slices.Clone(body), 0), "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
			os.WriteFile(path, tt.body, 0o644)
			_, err := OpenShard(path)
			if !errors.Is(err, ErrShard) ||
				!strings.Contains(err.Error(), path) ||
				!strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want ErrShard naming %s and %q", err,
					path, tt.want)
			}
		})
	}
	t.Run("token outside vocab", func(t *testing.T) {
		sw, _ := CreateShard(filepath.Join(dir, "v.bin"), 300)
		defer sw.Abort()
		if err := sw.WriteDoc([]int32{300}, 1); err == nil {
			t.Error("no error")
		}
	})
	t.Run("abort leaves nothing", func(t *testing.T) {
		d := t.TempDir()
		sw, _ := CreateShard(filepath.Join(d, "a.bin"), 300)
		sw.Abort()
		if ents, _ := os.ReadDir(d); len(ents) != 0 {
			t.Errorf("left %v", ents)
		}
	})
}

// seqShard is a shard of n tokens: the separator, then 1, ..., n-1,
// so token p is p (posToken) and a window tells where it starts.
func seqShard(t *testing.T, n int) *Shard {
	doc := make([]int32, n-1)
	for i := range doc {
		doc[i] = int32(i + 1)
	}
	s, err := OpenShard(writeShard(t, 1<<16, [][]int32{doc}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// posToken is the token at position p of a seqShard.
func posToken(p int) int32 {
	if p == 0 {
		return endOfText
	}
	return int32(p)
}

func TestSamplerBatch(t *testing.T) {
	s := seqShard(t, 1000)
	const B, T = 4, 16
	batch := func(seed uint64, step int) ([]int32, []int32) {
		sp, err := NewSampler(s, seed)
		if err != nil {
			t.Fatal(err)
		}
		x, y := make([]int32, B*T), make([]int32, B*T)
		sp.Batch(step, B, T, x, y)
		return x, y
	}
	x5, y5 := batch(42, 5)
	// A resumed run: a fresh sampler asked for step 5 directly.
	for _, step := range []int{0, 1, 2, 3, 4} {
		batch(42, step)
	}
	xr, yr := batch(42, 5)
	if !slices.Equal(x5, xr) || !slices.Equal(y5, yr) {
		t.Error("batch of step 5 depends on history")
	}
	x6, _ := batch(42, 6)
	xs, _ := batch(43, 5)
	if slices.Equal(x5, x6) || slices.Equal(x5, xs) {
		t.Error("batch does not change with step or seed")
	}
	for b := range B {
		row := x5[b*T : (b+1)*T]
		start := int(row[1]) - 1
		for i := range T {
			if row[i] != posToken(start+i) ||
				y5[b*T+i] != posToken(start+i+1) {
				t.Fatalf("row %d is not a contiguous window: %v", b, row)
			}
		}
	}
}

func TestSamplerCoversShard(t *testing.T) {
	s := seqShard(t, 40)
	sp, _ := NewSampler(s, 1)
	const T = 8
	x, y := make([]int32, T), make([]int32, T)
	seen := map[int32]bool{}
	for step := range 2000 {
		sp.Batch(step, 1, T, x, y)
		if y[T-1] > 39 {
			t.Fatalf("window past the end: %v", y)
		}
		seen[y[0]] = true
	}
	// Starts 0..31 are all possible windows of T+1 in 40 tokens;
	// y[0] is the token after the start, 1..32.
	if len(seen) != 32 {
		t.Errorf("%d distinct starts, want 32", len(seen))
	}
}

func TestEvalBatches(t *testing.T) {
	s := seqShard(t, 23) // 22 targets: 5 windows of 4, 2 left out
	const B, T = 2, 4
	if n := s.EvalWindows(T); n != 5 {
		t.Fatalf("EvalWindows %d, want 5", n)
	}
	var rows []int
	var firsts []int32
	for eb := range s.EvalBatches(B, T) {
		rows = append(rows, eb.Rows)
		for r := range eb.Rows {
			firsts = append(firsts, eb.Y[r*T]-1)
			if eb.Y[r*T+T-1] != eb.Y[r*T]+T-1 ||
				eb.X[r*T+T-1] != eb.Y[r*T+T-2] {
				t.Errorf("targets not shifted: %v %v", eb.X, eb.Y)
			}
		}
	}
	if !slices.Equal(rows, []int{2, 2, 1}) ||
		!slices.Equal(firsts, []int32{0, 4, 8, 12, 16}) {
		t.Errorf("rows %v firsts %v", rows, firsts)
	}
}

func TestBitsPerByte(t *testing.T) {
	// 2 nats per token, 4 tokens over 8 bytes: 1 nat per byte.
	if got := BitsPerByte(2, 4, 8); math.Abs(got-1/math.Ln2) > 1e-12 {
		t.Errorf("got %g, want %g", got, 1/math.Ln2)
	}
}

// BenchmarkSamplerBatch draws (8, 256) batches from a 1M-token shard.
func BenchmarkSamplerBatch(b *testing.B) {
	doc := make([]int32, 1<<20)
	for i := range doc {
		doc[i] = int32(i % 4000)
	}
	s, err := OpenShard(writeShard(b, 4096, [][]int32{doc}))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	sp, _ := NewSampler(s, 1)
	const B, T = 8, 256
	x, y := make([]int32, B*T), make([]int32, B*T)
	step := 0
	for b.Loop() {
		sp.Batch(step, B, T, x, y)
		step++
	}
	b.ReportMetric(float64(b.N*B*T)/b.Elapsed().Seconds()/1e6, "Mtok/s")
}

func TestShardCheckVocab(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.bin")
	w, err := CreateShard(path, 300)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteDoc([]int32{1, 299, 7}, 3); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := OpenShard(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CheckVocab(300); err != nil {
		t.Fatalf("valid shard refused: %v", err)
	}
	if err := s.CheckVocab(262); err == nil ||
		!strings.Contains(err.Error(), "vocabulary of 300") {
		t.Fatalf("shard for 300 tokens accepted by a 262-token model: %v",
			err)
	}
}
