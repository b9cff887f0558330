package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// randomDoc makes an unrelated document of n words from a seeded RNG.
func randomDoc(rng *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = fmt.Sprintf("%s%d", things[rng.IntN(len(things))],
			rng.IntN(1000))
	}
	return strings.Join(w, " ")
}

// mutate replaces k random words of doc.
func mutate(rng *rand.Rand, doc string, k int) string {
	w := strings.Fields(doc)
	for range k {
		w[rng.IntN(len(w))] = fmt.Sprintf("changed%d", rng.IntN(1e6))
	}
	return strings.Join(w, " ")
}

// dedupFixture returns unrelated documents followed by near and exact
// copies of some of them, with the expected decision of each.
func dedupFixture() ([]string, []Dup) {
	rng := rand.New(rand.NewPCG(7, 7))
	var docs []string
	var want []Dup
	for range 200 {
		docs = append(docs, randomDoc(rng, 80))
		want = append(want, Dup{Kind: Unique, Of: -1})
	}
	for i := range 50 {
		docs = append(docs, mutate(rng, docs[i], 3))
		want = append(want, Dup{Kind: Near, Of: i})
	}
	for i := 50; i < 60; i++ {
		docs = append(docs, docs[i])
		want = append(want, Dup{Kind: Exact, Of: i})
	}
	return docs, want
}

func TestDedup(t *testing.T) {
	docs, want := dedupFixture()
	tests := []struct {
		name string
		cfg  func(*DedupConfig)
	}{
		{"char shingles", func(*DedupConfig) {}},
		{"word shingles", func(c *DedupConfig) {
			c.WordShingles, c.ShingleSize, c.Threshold = true, 2, 0.7
		}},
		{"one worker", func(c *DedupConfig) { c.Workers = 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultDedupConfig()
			tt.cfg(&cfg)
			d, err := NewDeduper(cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := d.AddBatch(docs)
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("doc %d: %+v, want %+v", i, got[i], want[i])
				}
			}
			st := d.Stats()
			if st.Exact != 10 || st.Near != 50 || st.Clusters != 50 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestDedupDeterministic(t *testing.T) {
	docs, _ := dedupFixture()
	run := func(seed uint64, batch bool) ([]Dup, []uint32) {
		cfg := DefaultDedupConfig()
		cfg.Seed = seed
		d, _ := NewDeduper(cfg)
		if batch {
			return d.AddBatch(docs), d.Signature(docs[0])
		}
		var out []Dup
		for _, doc := range docs {
			out = append(out, d.Add(doc))
		}
		return out, d.Signature(docs[0])
	}
	a, sa := run(3, true)
	b, sb := run(3, false)
	_, sc := run(4, true)
	if !slices.Equal(a, b) || !slices.Equal(sa, sb) {
		t.Error("AddBatch and Add disagree, or signatures differ")
	}
	if slices.Equal(sa, sc) {
		t.Error("seed does not change the permutations")
	}
}

// TestJaccardEstimate compares the MinHash estimate with the exact
// Jaccard similarity of the shingle sets.
func TestJaccardEstimate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cfg := DefaultDedupConfig()
	cfg.NumPerm, cfg.Bands, cfg.Rows = 512, 64, 8
	d, _ := NewDeduper(cfg)
	for _, k := range []int{2, 10, 30, 60} {
		a := randomDoc(rng, 100)
		b := mutate(rng, a, k)
		sa, sb := d.shingles(a), d.shingles(b)
		inter := 0
		for _, h := range sa {
			if slices.Contains(sb, h) {
				inter++
			}
		}
		exact := float64(inter) / float64(len(sa)+len(sb)-inter)
		est := Jaccard(d.Signature(a), d.Signature(b))
		// Standard error sqrt(J(1-J)/512) <= 0.022; allow 4 of them.
		if math.Abs(est-exact) > 0.09 {
			t.Errorf("k=%d: estimate %.3f, exact %.3f", k, est, exact)
		}
	}
}

func TestDedupConfigErrors(t *testing.T) {
	tests := map[string]func(*DedupConfig){
		"bands x rows":  func(c *DedupConfig) { c.Bands = 5 },
		"shingle size":  func(c *DedupConfig) { c.ShingleSize = 0 },
		"threshold":     func(c *DedupConfig) { c.Threshold = 1.5 },
		"zero num perm": func(c *DedupConfig) { c.NumPerm = 0 },
	}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultDedupConfig()
			f(&cfg)
			if _, err := NewDeduper(cfg); err == nil {
				t.Error("no error")
			}
		})
	}
}

// BenchmarkDedup measures AddBatch on ~600-byte documents, a tenth of
// them near duplicates; it reports documents and megabytes per second.
func BenchmarkDedup(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	docs := make([]string, 4096)
	size := 0
	for i := range docs {
		if i%10 == 9 {
			docs[i] = mutate(rng, docs[i-5], 3)
		} else {
			docs[i] = randomDoc(rng, 90)
		}
		size += len(docs[i])
	}
	b.ResetTimer()
	for b.Loop() {
		d, _ := NewDeduper(DefaultDedupConfig())
		for i := 0; i < len(docs); i += chunkDocs {
			d.AddBatch(docs[i:min(i+chunkDocs, len(docs))])
		}
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N*len(docs))/sec, "docs/s")
	b.ReportMetric(float64(b.N*size)/sec/1e6, "MB/s")
}
