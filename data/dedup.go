package data

import (
	"crypto/sha256"
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
)

// DedupConfig sets the exact and near-duplicate search.
type DedupConfig struct {
	// NumPerm is the MinHash signature length. Default 128.
	NumPerm int
	// Bands × Rows must equal NumPerm; two documents become a
	// candidate pair when all Rows values of some band agree, which
	// happens with probability 1-(1-J^Rows)^Bands for Jaccard J.
	// Defaults 16 × 8 (half-way point near J = 0.7).
	Bands, Rows int
	// ShingleSize is the shingle length, in characters or words.
	// Default 5.
	ShingleSize int
	// WordShingles shingles by words instead of characters.
	WordShingles bool
	// Threshold is the least estimated Jaccard similarity at which a
	// candidate is a near-duplicate. Default 0.8.
	Threshold float64
	// Seed draws the hash permutations. Same seed, same result.
	Seed uint64
	// Workers computes signatures in parallel. Default GOMAXPROCS.
	Workers int
}

// DefaultDedupConfig returns the documented defaults.
func DefaultDedupConfig() DedupConfig {
	return DedupConfig{NumPerm: 128, Bands: 16, Rows: 8, ShingleSize: 5,
		Threshold: 0.8, Seed: 1, Workers: runtime.GOMAXPROCS(0)}
}

// Dup says whether and why a document is a duplicate.
type Dup struct {
	Kind DupKind
	// Of is the index, in Add order, of the kept document it
	// duplicates (the first of its cluster); -1 when kept.
	Of int
}

// DupKind tells kept documents from exact and near duplicates.
type DupKind uint8

// The kinds of Dup.
const (
	Unique DupKind = iota
	Exact
	Near
)

// DedupStats counts what a Deduper removed.
type DedupStats struct {
	Seen       int `json:"seen"`
	Exact      int `json:"exact_duplicates"`
	Near       int `json:"near_duplicates"`
	Clusters   int `json:"near_clusters"`
	Candidates int `json:"candidate_pairs"`
}

// Deduper removes exact duplicates by SHA-256 of the text and near
// duplicates by MinHash (Broder 1997) with LSH banding, keeping the
// first document of each cluster. Feed it with Add in a fixed order.
// It keeps, for each kept document, a hash and a signature
// (16 + 4·NumPerm bytes) plus its band keys.
type Deduper struct {
	cfg     DedupConfig
	a, b    []uint64             // permutation i: (a[i]·h + b[i]) >> 32
	exact   map[[16]byte]int     // content hash → kept index
	buckets []map[uint64][]int32 // per band: band key → kept indices
	sigs    map[int32][]uint32   // kept index → signature
	inClust map[int32]bool       // kept indices with a near dup
	n       int                  // documents added
	stats   DedupStats
}

// NewDeduper checks cfg and draws the permutations from cfg.Seed.
func NewDeduper(cfg DedupConfig) (*Deduper, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	switch {
	case cfg.NumPerm <= 0 || cfg.Bands <= 0 || cfg.Rows <= 0:
		return nil, fmt.Errorf("data: dedup: NumPerm, Bands, Rows " +
			"must be positive")
	case cfg.Bands*cfg.Rows != cfg.NumPerm:
		return nil, fmt.Errorf("data: dedup: bands %d × rows %d != "+
			"num_perm %d", cfg.Bands, cfg.Rows, cfg.NumPerm)
	case cfg.ShingleSize <= 0:
		return nil, fmt.Errorf("data: dedup: shingle size %d",
			cfg.ShingleSize)
	case cfg.Threshold <= 0 || cfg.Threshold > 1:
		return nil, fmt.Errorf("data: dedup: threshold %g not in (0, 1]",
			cfg.Threshold)
	}
	d := &Deduper{cfg: cfg, exact: map[[16]byte]int{},
		sigs: map[int32][]uint32{}, inClust: map[int32]bool{}}
	state := cfg.Seed
	for range cfg.NumPerm {
		d.a = append(d.a, splitmix64(&state)|1)
		d.b = append(d.b, splitmix64(&state))
	}
	for range cfg.Bands {
		d.buckets = append(d.buckets, map[uint64][]int32{})
	}
	return d, nil
}

// splitmix64 advances *state and returns the next output of
// SplitMix64 (Steele et al. 2014).
func splitmix64(state *uint64) uint64 {
	*state += 0x9e3779b97f4a7c15
	z := *state
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// Stats returns the counts so far.
func (d *Deduper) Stats() DedupStats { return d.stats }

// Signature returns the MinHash signature of text: for each
// permutation, the least permuted hash over its shingles.
func (d *Deduper) Signature(text string) []uint32 {
	hs := d.shingles(text)
	sig := make([]uint32, d.cfg.NumPerm)
	i := 0
	// Four permutations per pass give four independent min chains.
	for ; i+4 <= len(sig); i += 4 {
		a0, a1, a2, a3 := d.a[i], d.a[i+1], d.a[i+2], d.a[i+3]
		b0, b1, b2, b3 := d.b[i], d.b[i+1], d.b[i+2], d.b[i+3]
		m0, m1, m2, m3 := ^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0)
		for _, h := range hs {
			m0 = min(m0, uint32((a0*h+b0)>>32))
			m1 = min(m1, uint32((a1*h+b1)>>32))
			m2 = min(m2, uint32((a2*h+b2)>>32))
			m3 = min(m3, uint32((a3*h+b3)>>32))
		}
		sig[i], sig[i+1], sig[i+2], sig[i+3] = m0, m1, m2, m3
	}
	for ; i < len(sig); i++ {
		a, b, m := d.a[i], d.b[i], ^uint32(0)
		for _, h := range hs {
			m = min(m, uint32((a*h+b)>>32))
		}
		sig[i] = m
	}
	return sig
}

// shingles returns the distinct 64-bit hashes of the shingles of the
// normalised text: lowercase, punctuation dropped, spaces collapsed.
// A text shorter than one shingle is one shingle.
func (d *Deduper) shingles(text string) []uint64 {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	joined := strings.Join(words, " ")
	// Unit boundaries: unit u is joined[cut[u]:cut[u+1]], without the
	// separating space for words.
	var cut []int
	if d.cfg.WordShingles {
		off := 0
		for _, w := range words {
			cut = append(cut, off)
			off += len(w) + 1
		}
		cut = append(cut, len(joined)+1)
	} else {
		for i := range joined {
			cut = append(cut, i)
		}
		cut = append(cut, len(joined))
	}
	units := len(cut) - 1
	if units <= 0 {
		return nil
	}
	k := min(d.cfg.ShingleSize, units)
	out := make([]uint64, 0, units-k+1)
	for i := 0; i+k <= units; i++ {
		end := min(cut[i+k], len(joined))
		h := uint64(14695981039346656037) // FNV-1a 64
		for _, c := range []byte(joined[cut[i]:end]) {
			h = (h ^ uint64(c)) * 1099511628211
		}
		out = append(out, h)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Jaccard estimates the Jaccard similarity of the shingle sets behind
// two signatures: the share of equal positions.
func Jaccard(s, t []uint32) float64 {
	eq := 0
	for i := range s {
		if s[i] == t[i] {
			eq++
		}
	}
	return float64(eq) / float64(len(s))
}

// prepared is a document's hash and signature, computed in parallel.
type prepared struct {
	sum [16]byte
	sig []uint32
}

func (d *Deduper) prepare(text string) prepared {
	full := sha256.Sum256([]byte(text))
	var p prepared
	copy(p.sum[:], full[:16])
	p.sig = d.Signature(text)
	return p
}

// Add decides whether text duplicates an earlier kept document.
func (d *Deduper) Add(text string) Dup {
	return d.add(d.prepare(text))
}

// AddBatch is Add for many texts: signatures are computed by
// cfg.Workers goroutines, decisions are taken in order, so the
// result equals calling Add on each text in turn.
func (d *Deduper) AddBatch(texts []string) []Dup {
	preps := make([]prepared, len(texts))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(d.cfg.Workers, len(texts)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(texts) {
					return
				}
				preps[i] = d.prepare(texts[i])
			}
		})
	}
	wg.Wait()
	out := make([]Dup, len(texts))
	for i, p := range preps {
		out[i] = d.add(p)
	}
	return out
}

// add takes the sequential decision for one prepared document.
func (d *Deduper) add(p prepared) Dup {
	idx := d.n
	d.n++
	d.stats.Seen++
	if of, ok := d.exact[p.sum]; ok {
		d.stats.Exact++
		return Dup{Kind: Exact, Of: of}
	}

	// Look for the earliest kept candidate that is similar enough.
	keys := d.bandKeys(p.sig)
	best := int32(-1)
	checked := map[int32]bool{}
	for band, key := range keys {
		for _, j := range d.buckets[band][key] {
			if checked[j] || (best >= 0 && j >= best) {
				continue
			}
			checked[j] = true
			d.stats.Candidates++
			if Jaccard(p.sig, d.sigs[j]) >= d.cfg.Threshold {
				best = j
			}
		}
	}
	if best >= 0 {
		d.stats.Near++
		if !d.inClust[best] {
			d.inClust[best] = true
			d.stats.Clusters++
		}
		return Dup{Kind: Near, Of: int(best)}
	}

	// Keep it: index its hash, signature and band keys.
	d.exact[p.sum] = idx
	d.sigs[int32(idx)] = p.sig
	for band, key := range keys {
		d.buckets[band][key] = append(d.buckets[band][key], int32(idx))
	}
	return Dup{Kind: Unique, Of: -1}
}

// bandKeys hashes each band of rows of a signature to one key.
func (d *Deduper) bandKeys(sig []uint32) []uint64 {
	keys := make([]uint64, d.cfg.Bands)
	for b := range keys {
		h := uint64(b + 1)
		for _, v := range sig[b*d.cfg.Rows : (b+1)*d.cfg.Rows] {
			h = bits.RotateLeft64(h^uint64(v), 29) * 0x9e3779b97f4a7c15
		}
		keys[b] = h
	}
	return keys
}
