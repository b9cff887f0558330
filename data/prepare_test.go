package data

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tinyseek/tinyseek/data/tokenizer"
)

// shardDocs decodes a shard back into documents, split at EndOfText.
func shardDocs(t *testing.T, tok *tokenizer.Tokenizer, path string) []string {
	t.Helper()
	s, err := OpenShard(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ids := make([]int32, s.Len())
	s.Read(ids, 0)
	var docs []string
	var bytesTotal int64
	for i := 0; i < len(ids); {
		if ids[i] != endOfText {
			t.Fatalf("%s: token %d is %d, want a separator", path, i, ids[i])
		}
		j := i + 1
		for j < len(ids) && ids[j] != endOfText {
			j++
		}
		doc := string(tok.Decode(ids[i+1 : j]))
		docs = append(docs, doc)
		bytesTotal += int64(len(doc))
		i = j
	}
	if bytesTotal != s.Bytes || int64(len(docs)) != s.Docs {
		t.Errorf("%s: header bytes %d docs %d, decoded %d and %d", path,
			s.Bytes, s.Docs, bytesTotal, len(docs))
	}
	return docs
}

// expectSplit replays cleaning, dedup and the split on texts.
func expectSplit(opts PrepareOptions, texts []string) (train, val []string) {
	d, _ := NewDeduper(opts.Dedup)
	var kept []string
	for _, text := range texts {
		c := opts.Filter.Clean(text)
		if c.Dropped == RuleNone && (opts.NoDedup ||
			d.Add(c.Text).Kind == Unique) {
			kept = append(kept, c.Text)
		}
	}
	for i, text := range kept {
		if isVal(opts.Seed, i, opts.ValFraction) {
			val = append(val, text)
		} else {
			train = append(train, text)
		}
	}
	return train, val
}

func TestPrepareBuiltin(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a tokenizer on the built-in corpus")
	}
	opts := DefaultPrepareOptions()
	opts.OutDir = t.TempDir()
	opts.VocabSize = 400
	rep, err := Prepare(context.Background(), opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkOutDir(t, opts.OutDir)
	tok, err := tokenizer.Load(filepath.Join(opts.OutDir, TokenizerFile))
	if err != nil {
		t.Fatal(err)
	}
	wantTrain, wantVal := expectSplit(opts, BuiltinCorpus(opts.Seed))
	gotTrain := shardDocs(t, tok, filepath.Join(opts.OutDir, TrainFile))
	gotVal := shardDocs(t, tok, filepath.Join(opts.OutDir, ValFile))
	if !slices.Equal(gotTrain, wantTrain) || !slices.Equal(gotVal, wantVal) {
		t.Errorf("shards hold %d+%d docs, want %d+%d (or text differs)",
			len(gotTrain), len(gotVal), len(wantTrain), len(wantVal))
	}
	if rep.DocsKept != int64(len(wantTrain)+len(wantVal)) ||
		rep.DocsIn != builtinDocs || rep.BytesPerToken < 1.5 {
		t.Errorf("report %+v", rep)
	}
	var onDisk Report
	b, _ := os.ReadFile(filepath.Join(opts.OutDir, ReportFile))
	if err := json.Unmarshal(b, &onDisk); err != nil ||
		onDisk.DocsKept != rep.DocsKept || onDisk.Train != rep.Train {
		t.Errorf("report.json %s: %v", b, err)
	}
}

// checkOutDir asserts OutDir holds exactly the four output files.
func checkOutDir(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	want := []string{ReportFile, TokenizerFile, TrainFile, ValFile}
	if !slices.Equal(names, want) {
		t.Errorf("out dir holds %v, want %v", names, want)
	}
}

// smallInputs is a fixture exercising each stage of Prepare.
var smallInputs = map[string]string{
	"docs.jsonl": strings.Join([]string{
		`{"text":"Alpha beta gamma delta epsilon zeta eta theta iota."}`,
		`{"text":"Alpha beta gamma delta epsilon zeta eta theta iota."}`,
		`{"text":"Alpha beta gamma delta epsilon zeta eta theta kappa."}`,
		`{"text":"tiny"}`,
		`{"text":"%%%% #### @@@@ ^^^^ &&&& **** (((( )))) !!!!"}`,
		`{"text":"Rivers run to the sea and the sea is never full.\n` +
			`All rights reserved."}`,
		`{"text":"Numbers: one two three four five six seven eight."}`,
	}, "\n") + "\n",
	"more/notes.txt": "A plain text note about cats and dogs and birds.",
	"more/blob.txt":  "\x00\x01binary",
}

func TestPrepareReportGolden(t *testing.T) {
	dir := writeFiles(t, smallInputs)
	opts := DefaultPrepareOptions()
	opts.Inputs = []string{filepath.Join(dir, "docs.jsonl"),
		filepath.Join(dir, "more")}
	opts.OutDir = filepath.Join(dir, "out")
	opts.VocabSize = 300
	opts.ValFraction = 0.3
	if _, err := Prepare(context.Background(), opts, nil); err != nil {
		t.Fatal(err)
	}
	checkOutDir(t, opts.OutDir)
	got, _ := os.ReadFile(filepath.Join(opts.OutDir, ReportFile))
	got = bytes.ReplaceAll(got, []byte(dir), []byte("DIR"))
	path := filepath.Join("testdata", "report.golden.json")
	if *update {
		os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("report differs from %s (-update to accept):\n%s", path,
			got)
	}
}

func TestPrepareErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"short.jsonl": "{\"text\":\"hi\"}\n",
		"bad.parquet": "PAR1 not really",
		"bad.jsonl":   "{\"text\":\"fine text that is long enough\"}\n{\n",
	})
	tests := []struct {
		name, input, want string
	}{
		{"missing file", "nope.txt", "nope.txt"},
		{"nothing kept", "short.jsonl",
			"no documents kept from " + filepath.Join(dir, "short.jsonl") +
				" (1 read; dropped by min_chars 1; a plain text file"},
		{"bad parquet", "bad.parquet", "bad.parquet"},
		{"bad jsonl", "bad.jsonl", "bad.jsonl:2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := DefaultPrepareOptions()
			opts.Inputs = []string{filepath.Join(dir, tt.input)}
			opts.OutDir = filepath.Join(dir, "out-"+tt.input)
			opts.VocabSize = 300
			_, err := Prepare(context.Background(), opts, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want one containing %q", err, tt.want)
			}
			if ents, _ := os.ReadDir(opts.OutDir); len(ents) != 0 {
				t.Errorf("out dir holds %v after an error", ents)
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		opts := DefaultPrepareOptions()
		opts.OutDir = filepath.Join(dir, "cancelled")
		_, err := Prepare(ctx, opts, nil)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want context.Canceled", err)
		}
		if ents, _ := os.ReadDir(opts.OutDir); len(ents) != 0 {
			t.Errorf("out dir holds %v after cancel", ents)
		}
	})
	t.Run("bad options", func(t *testing.T) {
		opts := DefaultPrepareOptions()
		opts.OutDir = filepath.Join(dir, "x")
		opts.VocabSize = 100
		if _, err := Prepare(context.Background(), opts, nil); err == nil {
			t.Error("vocab size 100 accepted")
		}
	})
}

// TestPrepareValTail: with ValTail the validation shard holds exactly
// the last documents, in order, like a 90/10 cut of one text.
func TestPrepareValTail(t *testing.T) {
	dir := t.TempDir()
	var text strings.Builder
	for i := range 20 {
		fmt.Fprintf(&text, "speech number %d goes here.\n\n", i)
	}
	in := filepath.Join(dir, "play.txt")
	if err := os.WriteFile(in, []byte(text.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	o := DefaultPrepareOptions()
	o.Inputs, o.OutDir = []string{in}, filepath.Join(dir, "out")
	o.VocabSize, o.ValFraction, o.ValTail = 262, 0.25, true
	o.NoDedup, o.Filter = true, FilterConfig{}
	o.Read.BlankLineDocs = true
	if _, err := Prepare(context.Background(), o, nil); err != nil {
		t.Fatal(err)
	}
	val, err := OpenShard(filepath.Join(o.OutDir, ValFile))
	if err != nil {
		t.Fatal(err)
	}
	defer val.Close()
	ids := make([]int32, val.Len())
	val.Read(ids, 0)
	var got strings.Builder
	for _, id := range ids {
		if id == 256 {
			got.WriteString("|")
			continue
		}
		got.WriteByte(byte(id))
	}
	want := "|speech number 15 goes here.|speech number 16 goes here." +
		"|speech number 17 goes here.|speech number 18 goes here." +
		"|speech number 19 goes here."
	if got.String() != want {
		t.Fatalf("val shard holds %q, want %q", got.String(), want)
	}
}

// TestPrepareValTailOneDocument: a single kept document is cut by
// tokens, the last ValFraction going to validation.
func TestPrepareValTailOneDocument(t *testing.T) {
	dir := t.TempDir()
	text := strings.Repeat("0123456789", 10)
	in := filepath.Join(dir, "one.txt")
	if err := os.WriteFile(in, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	o := DefaultPrepareOptions()
	o.Inputs, o.OutDir = []string{in}, filepath.Join(dir, "out")
	o.VocabSize, o.ValFraction, o.ValTail = 262, 0.1, true
	o.NoDedup, o.Filter = true, FilterConfig{}
	rep, err := Prepare(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Train.Bytes != 90 || rep.Val.Bytes != 10 {
		t.Fatalf("train %d bytes, val %d bytes, want 90 and 10",
			rep.Train.Bytes, rep.Val.Bytes)
	}
}
