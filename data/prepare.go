package data

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tinyseek/tinyseek/data/tokenizer"
)

// The shard format and the tokenizer must agree on the separator.
var _ = [1]struct{}{}[endOfText-tokenizer.EndOfText]

// Files written by Prepare into PrepareOptions.OutDir.
const (
	TokenizerFile = "tokenizer.json"
	TrainFile     = "train.bin"
	ValFile       = "val.bin"
	ReportFile    = "report.json"
)

// PrepareOptions configures Prepare. Start from
// DefaultPrepareOptions: a zero FilterConfig turns every filter off.
type PrepareOptions struct {
	// Inputs are files and folders; none means the built-in corpus.
	Inputs []string
	// OutDir receives TokenizerFile, TrainFile, ValFile, ReportFile.
	OutDir string
	Read   ReadOptions
	Filter FilterConfig
	Dedup  DedupConfig
	// NoDedup skips exact and near-duplicate removal.
	NoDedup bool
	// VocabSize is the tokenizer size, at least 262. Default 4096.
	VocabSize int
	// ValFraction of the documents, chosen by a hash of (Seed, doc
	// index), goes to ValFile; at least one when it is positive.
	// Default 0.05.
	ValFraction float64
	// ValTail takes the validation split from the end of the corpus
	// instead: the last ValFraction of the kept documents, in order.
	// When only one document is kept, its tokens are cut the same way,
	// like nanoGPT's 90/10 cut of one long text.
	ValTail bool
	// Seed fixes the built-in corpus and the validation split.
	Seed int64
	// Workers for cleaning, dedup, training and encoding. Default
	// GOMAXPROCS.
	Workers int
}

// DefaultPrepareOptions returns the documented defaults.
func DefaultPrepareOptions() PrepareOptions {
	return PrepareOptions{Filter: DefaultFilterConfig(),
		Dedup: DefaultDedupConfig(), VocabSize: 4096, ValFraction: 0.05,
		Seed: 1, Workers: runtime.GOMAXPROCS(0)}
}

// RuleCount is how many documents, and bytes, a rule dropped.
type RuleCount struct {
	Docs     int64    `json:"docs"`
	Bytes    int64    `json:"bytes"`
	Examples []string `json:"examples,omitempty"`
}

// SplitReport describes one token shard.
type SplitReport struct {
	Docs   int64 `json:"docs"`
	Tokens int64 `json:"tokens"`
	Bytes  int64 `json:"bytes"`
}

// Report is what Prepare did; it is also written as ReportFile.
type Report struct {
	Inputs           []string            `json:"inputs"`
	DocsIn           int64               `json:"docs_in"`
	BytesIn          int64               `json:"bytes_in"`
	DocsKept         int64               `json:"docs_kept"`
	BytesKept        int64               `json:"bytes_kept"`
	SkippedFiles     map[string]string   `json:"skipped_files,omitempty"`
	Repaired         int64               `json:"utf8_repaired"`
	BoilerplateLines int64               `json:"boilerplate_lines"`
	Dropped          map[Rule]*RuleCount `json:"dropped"`
	Dedup            DedupStats          `json:"dedup"`
	Duplicates       RuleCount           `json:"duplicates"`
	VocabSize        int                 `json:"vocab_size"`
	Train            SplitReport         `json:"train"`
	Val              SplitReport         `json:"val"`
	BytesPerToken    float64             `json:"bytes_per_token"`
}

const maxExamples = 5

// droppedBy says which rules dropped documents, for the error of a
// corpus that kept none, with the usual fix for a one-document text.
func droppedBy(rep *Report) string {
	var parts []string
	for _, r := range Rules {
		if c := rep.Dropped[r]; c != nil && c.Docs > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", r, c.Docs))
		}
	}
	if rep.Duplicates.Docs > 0 {
		parts = append(parts, fmt.Sprintf("duplicates %d",
			rep.Duplicates.Docs))
	}
	if len(parts) == 0 {
		return ""
	}
	hint := ""
	if rep.DocsIn == 1 {
		hint = "; a plain text file is one document unless " +
			"--blank-line-docs splits it at blank lines"
	}
	return "; dropped by " + strings.Join(parts, ", ") + hint
}

func (c *RuleCount) add(id string, n int) {
	c.Docs++
	c.Bytes += int64(n)
	if len(c.Examples) < maxExamples {
		c.Examples = append(c.Examples, id)
	}
}

// Prepare turns raw text into a tokenizer and token shards: read,
// clean, deduplicate, spool the kept documents to disk, train the
// tokenizer on them, split by document and encode. Everything is
// written under OutDir/.tmp-* and renamed into OutDir at the end, so
// OutDir never holds half-written files.
func Prepare(ctx context.Context, opts PrepareOptions,
	log *slog.Logger) (*Report, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := checkPrepare(&opts); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("data: prepare: %w", err)
	}
	tmp, err := os.MkdirTemp(opts.OutDir, ".tmp-")
	if err != nil {
		return nil, fmt.Errorf("data: prepare: %w", err)
	}
	defer os.RemoveAll(tmp)

	rep, err := prepareIn(ctx, tmp, opts, log)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{TokenizerFile, TrainFile, ValFile,
		ReportFile} {
		err := os.Rename(filepath.Join(tmp, name),
			filepath.Join(opts.OutDir, name))
		if err != nil {
			return nil, fmt.Errorf("data: prepare: %w", err)
		}
	}
	return rep, nil
}

func checkPrepare(o *PrepareOptions) error {
	if o.OutDir == "" {
		return errors.New("data: prepare: no output folder")
	}
	if o.VocabSize < int(tokenizer.FirstMerge) {
		return fmt.Errorf("data: prepare: vocab size %d < %d",
			o.VocabSize, tokenizer.FirstMerge)
	}
	if o.ValFraction < 0 || o.ValFraction >= 1 {
		return fmt.Errorf("data: prepare: val fraction %g not in [0, 1)",
			o.ValFraction)
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	o.Dedup.Workers = o.Workers
	return nil
}

// prepareIn runs the pipeline, writing every file into tmp.
func prepareIn(ctx context.Context, tmp string, opts PrepareOptions,
	log *slog.Logger) (*Report, error) {
	rep := &Report{Inputs: opts.Inputs, Dropped: map[Rule]*RuleCount{},
		VocabSize: opts.VocabSize, SkippedFiles: map[string]string{}}
	opts.Read.OnSkip = func(path, reason string) {
		rep.SkippedFiles[path] = reason
	}
	for _, r := range Rules {
		rep.Dropped[r] = &RuleCount{}
	}
	spool := filepath.Join(tmp, "docs.spool")
	if err := cleanToSpool(ctx, spool, opts, rep, log); err != nil {
		return nil, err
	}
	if rep.DocsKept == 0 {
		return nil, fmt.Errorf("data: prepare: no documents kept from "+
			"%s (%d read%s)", inputsName(opts.Inputs), rep.DocsIn,
			droppedBy(rep))
	}
	log.Info("data: cleaned", "docs_in", rep.DocsIn,
		"docs_kept", rep.DocsKept, "duplicates", rep.Duplicates.Docs)

	tok, err := trainOnSpool(spool, opts)
	if err != nil {
		return nil, err
	}
	rep.VocabSize = tok.VocabSize()
	if err := tok.Save(filepath.Join(tmp, TokenizerFile)); err != nil {
		return nil, fmt.Errorf("data: prepare: %w", err)
	}
	log.Info("data: tokenizer trained", "vocab_size", rep.VocabSize)

	if err := encodeSpool(ctx, spool, tmp, tok, opts, rep); err != nil {
		return nil, err
	}
	total := rep.Train.Tokens + rep.Val.Tokens
	rep.BytesPerToken = float64(rep.Train.Bytes+rep.Val.Bytes) /
		float64(total)
	return rep, writeJSON(filepath.Join(tmp, ReportFile), rep)
}

func inputsName(in []string) string {
	if len(in) == 0 {
		return "the built-in corpus"
	}
	return strings.Join(in, ", ")
}

// sourceDocs returns the inputs, or the built-in corpus.
func sourceDocs(opts PrepareOptions,
	log *slog.Logger) iter.Seq2[Doc, error] {
	if len(opts.Inputs) > 0 {
		return Read(opts.Inputs, opts.Read, log)
	}
	return func(yield func(Doc, error) bool) {
		for i, text := range BuiltinCorpus(opts.Seed) {
			if !yield(Doc{ID: fmt.Sprintf("builtin#%d", i),
				Text: text}, nil) {
				return
			}
		}
	}
}

// chunkDocs is how many documents are cleaned and deduplicated
// together, in parallel.
const chunkDocs = 1024

// cleanToSpool reads, cleans and deduplicates the inputs, appending
// the kept documents to the spool file.
func cleanToSpool(ctx context.Context, spool string, opts PrepareOptions,
	rep *Report, log *slog.Logger) error {
	f, err := os.Create(spool)
	if err != nil {
		return fmt.Errorf("data: prepare: %w", err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	var dd *Deduper
	if !opts.NoDedup {
		if dd, err = NewDeduper(opts.Dedup); err != nil {
			return err
		}
	}

	var chunk []Doc
	for doc, err := range sourceDocs(opts, log) {
		if err != nil {
			return err
		}
		chunk = append(chunk, doc)
		if len(chunk) == chunkDocs {
			if err := cleanChunk(ctx, chunk, w, dd, opts, rep); err != nil {
				return err
			}
			chunk = chunk[:0]
		}
	}
	if err := cleanChunk(ctx, chunk, w, dd, opts, rep); err != nil {
		return err
	}
	if dd != nil {
		rep.Dedup = dd.Stats()
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("data: prepare: write spool: %w", err)
	}
	return f.Close()
}

// cleanChunk cleans a chunk in parallel, then deduplicates the
// survivors in order and spools those kept.
func cleanChunk(ctx context.Context, chunk []Doc, w io.Writer,
	dd *Deduper, opts PrepareOptions, rep *Report) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("data: prepare: %w", err)
	}
	out := make([]Cleaned, len(chunk))
	parallelFor(len(chunk), opts.Workers, func(i int) {
		out[i] = opts.Filter.Clean(chunk[i].Text)
	})

	var ids, texts []string
	for i, c := range out {
		rep.DocsIn++
		rep.BytesIn += int64(len(chunk[i].Text))
		rep.BoilerplateLines += int64(c.RemovedLines)
		if c.Repaired {
			rep.Repaired++
		}
		if c.Dropped != RuleNone {
			rep.Dropped[c.Dropped].add(chunk[i].ID, len(chunk[i].Text))
			continue
		}
		ids, texts = append(ids, chunk[i].ID), append(texts, c.Text)
	}
	var dups []Dup
	if dd != nil {
		dups = dd.AddBatch(texts)
	}
	for i, text := range texts {
		if dups != nil && dups[i].Kind != Unique {
			rep.Duplicates.add(ids[i], len(text))
			continue
		}
		rep.DocsKept++
		rep.BytesKept += int64(len(text))
		if err := spoolWrite(w, text); err != nil {
			return err
		}
	}
	return nil
}

// parallelFor runs f(0..n-1) on up to workers goroutines.
func parallelFor(n, workers int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(max(workers, 1), n) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				f(i)
			}
		})
	}
	wg.Wait()
}

// spoolWrite appends one record: uvarint length, then the text.
func spoolWrite(w io.Writer, text string) error {
	var n [binary.MaxVarintLen64]byte
	_, err := w.Write(n[:binary.PutUvarint(n[:], uint64(len(text)))])
	if err == nil {
		_, err = io.WriteString(w, text)
	}
	if err != nil {
		return fmt.Errorf("data: prepare: write spool: %w", err)
	}
	return nil
}

// spoolDocs reads the spool back; a read error is stored in *errp.
func spoolDocs(path string, errp *error) iter.Seq[string] {
	return func(yield func(string) bool) {
		f, err := os.Open(path)
		if err != nil {
			*errp = fmt.Errorf("data: prepare: %w", err)
			return
		}
		defer f.Close()
		r := bufio.NewReaderSize(f, 1<<20)
		for {
			n, err := binary.ReadUvarint(r)
			if err == io.EOF {
				return
			}
			buf := make([]byte, n)
			if err == nil {
				_, err = io.ReadFull(r, buf)
			}
			if err != nil {
				*errp = fmt.Errorf("data: prepare: read spool: %w", err)
				return
			}
			if !yield(string(buf)) {
				return
			}
		}
	}
}

// trainOnSpool trains the tokenizer on the kept documents.
func trainOnSpool(spool string, opts PrepareOptions) (*tokenizer.Tokenizer,
	error) {
	var rerr error
	tok, err := tokenizer.Train(spoolDocs(spool, &rerr), opts.VocabSize,
		tokenizer.TrainOptions{Workers: opts.Workers})
	if err == nil {
		err = rerr
	}
	if err != nil {
		return nil, fmt.Errorf("data: prepare: train tokenizer: %w", err)
	}
	return tok, nil
}

// isVal puts document i in the validation split when a hash of
// (seed, i) falls below frac.
func isVal(seed int64, i int, frac float64) bool {
	st := uint64(seed)*0x9e3779b97f4a7c15 ^ uint64(i)
	return float64(splitmix64(&st)>>11)/(1<<53) < frac
}

// splitter sends each document to the train or validation shard.
type splitter struct {
	train, val *ShardWriter
	tok        *tokenizer.Tokenizer
	opts       PrepareOptions
	kept       int // documents in all
	i          int // documents written
}

// write routes document i by isVal; the last document goes to
// validation when nothing else did, so a small corpus still has one.
func (s *splitter) write(ids []int32, text string) error {
	if s.opts.ValTail && s.kept == 1 && s.opts.ValFraction > 0 {
		return s.cutOne(ids)
	}
	last := s.i == s.kept-1
	sw := s.train
	val := isVal(s.opts.Seed, s.i, s.opts.ValFraction)
	if s.opts.ValTail {
		cut := int(math.Ceil(float64(s.kept) * (1 - s.opts.ValFraction)))
		val = s.i >= cut
	}
	if val ||
		last && s.i > 0 && s.opts.ValFraction > 0 &&
			s.val.Header().Docs == 0 {
		sw = s.val
	}
	s.i++
	return sw.WriteDoc(ids, len(text))
}

// cutOne splits the only document of a tail split by tokens: the first
// 1−ValFraction go to training, the rest to validation, exactly like
// nanoGPT's cut of one long text.
func (s *splitter) cutOne(ids []int32) error {
	s.i++
	cut := int(float64(len(ids)) * (1 - s.opts.ValFraction))
	cut = min(max(cut, 1), len(ids)-1)
	head, tail := ids[:cut], ids[cut:]
	err := s.train.WriteDoc(head, len(s.tok.Decode(head)))
	if err != nil {
		return err
	}
	return s.val.WriteDoc(tail, len(s.tok.Decode(tail)))
}

// encodeSpool encodes the kept documents in batches and writes them
// to the train and validation shards.
func encodeSpool(ctx context.Context, spool, dir string,
	tok *tokenizer.Tokenizer, opts PrepareOptions, rep *Report) error {
	s := &splitter{opts: opts, kept: int(rep.DocsKept), tok: tok}
	var err error
	vocab := tok.VocabSize()
	if s.train, err = CreateShard(filepath.Join(dir, TrainFile),
		vocab); err != nil {
		return err
	}
	defer s.train.Abort()
	if s.val, err = CreateShard(filepath.Join(dir, ValFile),
		vocab); err != nil {
		return err
	}
	defer s.val.Abort()

	var rerr error
	var batch []string
	for text := range spoolDocs(spool, &rerr) {
		if batch = append(batch, text); len(batch) == chunkDocs {
			if err := encodeBatch(ctx, tok, batch, s); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := encodeBatch(ctx, tok, batch, s); err != nil {
		return err
	}
	if rerr != nil {
		return rerr
	}
	if s.train.Header().Docs == 0 {
		return fmt.Errorf("data: prepare: no training documents left " +
			"after the validation split")
	}
	rep.Train, rep.Val = splitOf(s.train.Header()), splitOf(s.val.Header())
	if err := s.train.Close(); err != nil {
		return err
	}
	return s.val.Close()
}

// encodeBatch encodes texts on all cores and writes them in order.
func encodeBatch(ctx context.Context, tok *tokenizer.Tokenizer,
	texts []string, s *splitter) error {
	for j, ids := range tok.EncodeBatch(texts) {
		if err := s.write(ids, texts[j]); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("data: prepare: encode: %w", err)
	}
	return nil
}

func splitOf(h ShardHeader) SplitReport {
	return SplitReport{Docs: h.Docs, Tokens: h.Tokens, Bytes: h.Bytes}
}

// writeJSON writes v indented to path.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("data: %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	return nil
}
