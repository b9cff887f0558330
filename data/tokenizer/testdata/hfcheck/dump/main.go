// Command dump trains or loads a tokenizer and prints, one JSON line per
// input document, the ids our encoder gives; check.js compares them with
// Hugging Face tokenizers.
//
//	go run ./data/tokenizer/testdata/hfcheck/dump -corpus FILE \
//	    -vocab 8192 -save tok.json -docs docs.txt > ours.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/tinyseek/tinyseek/data/tokenizer"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	corpus := flag.String("corpus", "", "training text (one document)")
	vocab := flag.Int("vocab", 1024, "vocabulary size")
	load := flag.String("load", "", "tokenizer.json to load instead")
	save := flag.String("save", "", "where to write tokenizer.json")
	docs := flag.String("docs", "", "file of documents to encode, "+
		"split on blank-line-free separator '\\x1e' (default: corpus)")
	flag.Parse()

	var tok *tokenizer.Tokenizer
	var err error
	if *load != "" {
		tok, err = tokenizer.Load(*load)
	} else {
		tok, err = train(*corpus, *vocab)
	}
	if err != nil {
		return err
	}
	if *save != "" {
		if err := tok.Save(*save); err != nil {
			return err
		}
	}
	path := *docs
	if path == "" {
		path = *corpus
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("dump: %w", err)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	for _, doc := range strings.Split(string(data), "\x1e") {
		if err := enc.Encode(tok.Encode(doc)); err != nil {
			return fmt.Errorf("dump: %w", err)
		}
	}
	return nil
}

func train(path string, vocab int) (*tokenizer.Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dump: %w", err)
	}
	start := time.Now()
	tok, err := tokenizer.Train(func(yield func(string) bool) {
		yield(string(data))
	}, vocab, tokenizer.TrainOptions{})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "trained %d tokens in %v\n", tok.VocabSize(),
		time.Since(start))
	return tok, nil
}
