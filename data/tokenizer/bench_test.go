package tokenizer

import (
	"os"
	"strings"
	"testing"
)

// benchCorpus reads the file named by TINYSEEK_CORPUS, or skips.
func benchCorpus(b *testing.B) string {
	path := os.Getenv("TINYSEEK_CORPUS")
	if path == "" {
		b.Skip("set TINYSEEK_CORPUS to a text file to run this benchmark")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return string(data)
}

func benchTrain(b *testing.B, vocab int) {
	text := benchCorpus(b)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		tok, err := Train(docsOf(text), vocab, TrainOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(tok.VocabSize()), "tokens")
	}
}

func BenchmarkTrain1024(b *testing.B)  { benchTrain(b, 1024) }
func BenchmarkTrain8192(b *testing.B)  { benchTrain(b, 8192) }
func BenchmarkTrain30000(b *testing.B) { benchTrain(b, 30000) }

// benchEncode measures a fresh tokenizer each run, so the pre-token
// cache starts cold as it does for HF's first call.
func benchEncode(b *testing.B, vocab int, lines bool) {
	text := benchCorpus(b)
	tok, err := Train(docsOf(text), vocab, TrainOptions{})
	if err != nil {
		b.Fatal(err)
	}
	batch := strings.SplitAfter(text, "\n")
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		b.StopTimer()
		fresh, _ := Parse(must(tok.MarshalJSON()))
		b.StartTimer()
		if lines {
			fresh.EncodeBatch(batch)
		} else {
			fresh.Encode(text)
		}
	}
}

func must(data []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return data
}

func BenchmarkEncodeWhole1024(b *testing.B) { benchEncode(b, 1024, false) }
func BenchmarkEncodeWhole8192(b *testing.B) { benchEncode(b, 8192, false) }
func BenchmarkEncodeBatch1024(b *testing.B) { benchEncode(b, 1024, true) }
func BenchmarkEncodeBatch8192(b *testing.B) { benchEncode(b, 8192, true) }
