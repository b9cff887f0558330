package tokenizer

import (
	"fmt"
	"iter"
	"runtime"
	"strings"
	"sync"
)

// TrainOptions tunes Train. The zero value is a good default.
type TrainOptions struct {
	// MinFrequency stops training when the most frequent pair occurs
	// fewer times than this. 0 or 1 merges every pair that occurs.
	MinFrequency int
	// Workers is the number of goroutines that pre-tokenize and count
	// the corpus; 0 means GOMAXPROCS.
	Workers int
}

// maxTrainPiece caps, in bytes, the pre-tokens that training counts as
// one word: longer ones (runs of CJK letters, long whitespace) are cut at
// character boundaries, so a merge only rescans the chunks that hold its
// pair instead of a whole paragraph. Encoding never cuts.
const maxTrainPiece = 128

// Train learns a byte-level BPE tokenizer of at most vocabSize tokens
// from docs. Ids 0-255 are the bytes, 256-261 the special tokens, merged
// tokens follow. Training stops early, without error, when no pair of
// adjacent tokens is left (or none reaches opts.MinFrequency), so the
// result may have fewer than vocabSize tokens.
//
// Each step merges the most frequent adjacent pair; ties go to the pair
// with the smaller left id, then the smaller right id.
func Train(docs iter.Seq[string], vocabSize int,
	opts TrainOptions) (*Tokenizer, error) {
	if vocabSize < FirstMerge {
		return nil, fmt.Errorf("tokenizer: vocab size %d is below %d "+
			"(256 bytes + %d special tokens)",
			vocabSize, FirstMerge, NumSpecial)
	}
	words := countWords(docs, opts.Workers)
	tr := newTrainer(words)
	tr.run(vocabSize, max(opts.MinFrequency, 1))

	specials := make([]Special, NumSpecial)
	for i, m := range specialMarkers {
		specials[i] = Special{ID: int32(ByteVocab + i), Content: m}
	}
	var byteID [256]int32
	for b := range byteID {
		byteID[b] = int32(b)
	}
	return newTokenizer(tr.tokens, specials, byteID, tr.merges)
}

// countWords pre-tokenizes docs on several goroutines and returns how
// often each distinct pre-token (cut to maxTrainPiece) occurs.
func countWords(docs iter.Seq[string], workers int) map[string]int64 {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	batches := make(chan []string, workers)
	counts := make([]map[string]int64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		counts[w] = make(map[string]int64)
		wg.Go(func() {
			for batch := range batches {
				for _, doc := range batch {
					countPieces(doc, counts[w])
				}
			}
		})
	}

	// Batches of about 256 KiB keep the channel cheap per byte.
	var batch []string
	size := 0
	for doc := range docs {
		batch = append(batch, doc)
		if size += len(doc); size >= 1<<18 {
			batches <- batch
			batch, size = nil, 0
		}
	}
	batches <- batch
	close(batches)
	wg.Wait()

	total := counts[0]
	for _, c := range counts[1:] {
		for w, n := range c {
			total[w] += n
		}
	}
	return total
}

// countPieces adds the pre-tokens of doc to counts.
func countPieces(doc string, counts map[string]int64) {
	for i := 0; i < len(doc); {
		j := nextPiece(doc, i)
		for i < j {
			k := cutPiece(doc, i, j)
			if n, ok := counts[doc[i:k]]; ok {
				counts[doc[i:k]] = n + 1
			} else {
				counts[strings.Clone(doc[i:k])] = 1
			}
			i = k
		}
	}
}

// cutPiece returns where the chunk of doc[i:j] that starts at i ends:
// j, or the last character boundary at most maxTrainPiece bytes on.
func cutPiece(doc string, i, j int) int {
	if j-i <= maxTrainPiece {
		return j
	}
	k := i + maxTrainPiece
	for k > i+1 && doc[k]&0xC0 == 0x80 {
		k--
	}
	return k
}
