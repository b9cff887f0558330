package data

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

var update = flag.Bool("update", false, "rewrite golden files")

// writeFiles creates files under a temporary folder and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, ".gz") {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write([]byte(body))
			zw.Close()
			body = b.String()
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// readAll collects the documents of Read, or its first error.
func readAll(paths []string, opts ReadOptions,
	log *slog.Logger) ([]Doc, error) {
	var docs []Doc
	for d, err := range Read(paths, opts, log) {
		if err != nil {
			return docs, err
		}
		docs = append(docs, d)
	}
	return docs, nil
}

func TestReadFormats(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.txt":         "whole file\nsecond line\n",
		"b.jsonl":       "{\"text\":\"one\"}\n\n{\"text\":\"two\",\"x\":1}\n",
		"c.jsonl.gz":    "{\"text\":\"zipped\"}\n",
		"sub/d.txt":     "nested",
		"sub/skip.csv":  "ignored",
		"e.jsonl":       "{\"body\":\"custom\"}\n",
		"p.txt":         "p1 l1\np1 l2\n\n\n\np2 l1\r\n\r\np3\n",
		"blank/only.md": "",
	})
	p := func(name string) string { return filepath.Join(dir, name) }
	tests := []struct {
		name  string
		paths []string
		opts  ReadOptions
		want  []Doc
	}{
		{"whole txt", []string{p("a.txt")}, ReadOptions{},
			[]Doc{{p("a.txt"), "whole file\nsecond line\n"}}},
		{"jsonl skips blank lines", []string{p("b.jsonl")}, ReadOptions{},
			[]Doc{{p("b.jsonl") + ":1", "one"}, {p("b.jsonl") + ":3", "two"}}},
		{"gzip", []string{p("c.jsonl.gz")}, ReadOptions{},
			[]Doc{{p("c.jsonl.gz") + ":1", "zipped"}}},
		{"text field", []string{p("e.jsonl")}, ReadOptions{TextField: "body"},
			[]Doc{{p("e.jsonl") + ":1", "custom"}}},
		{"blank line docs", []string{p("p.txt")},
			ReadOptions{BlankLineDocs: true}, []Doc{
				{p("p.txt") + ":1", "p1 l1\np1 l2"},
				{p("p.txt") + ":6", "p2 l1"}, {p("p.txt") + ":8", "p3"}}},
		{"folder sorted and recursive", []string{p("sub"), p("blank")},
			ReadOptions{}, []Doc{{p("sub/d.txt"), "nested"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(tt.paths, tt.opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestReadFolderOrder(t *testing.T) {
	dir := writeFiles(t, map[string]string{"b/x.txt": "3", "a.txt": "1",
		"a/z.txt": "2", "c.jsonl": "{\"text\":\"4\"}"})
	docs, err := readAll([]string{dir}, ReadOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range docs {
		got = append(got, d.Text)
	}
	// Whole paths sort: ".../a.txt" before ".../a/z.txt" ('.' < '/').
	want := []string{"1", "2", "3", "4"}
	if !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

func TestReadErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"bad.jsonl":     "{\"text\":\"ok\"}\n{\"text\": oops}\n",
		"nofield.jsonl": "{\"text\":\"ok\"}\n{\"other\":\"x\"}\n",
		"num.jsonl":     "{\"text\":3}\n",
		"empty.txt":     "",
		"utf8.txt":      "fine\nbad \xff here\n",
		"x.docx":        "what",
	})
	p := func(name string) string { return filepath.Join(dir, name) }
	tests := []struct {
		name string
		path string
		opts ReadOptions
		line int
		is   error
	}{
		{"malformed jsonl", p("bad.jsonl"), ReadOptions{}, 2, nil},
		{"missing field", p("nofield.jsonl"), ReadOptions{}, 2,
			ErrNoTextField},
		{"field not a string", p("num.jsonl"), ReadOptions{}, 1, nil},
		{"empty file", p("empty.txt"), ReadOptions{}, 0, ErrEmptyFile},
		{"strict utf8", p("utf8.txt"), ReadOptions{StrictUTF8: true}, 2,
			ErrInvalidUTF8},
		{"strict utf8 paragraphs", p("utf8.txt"),
			ReadOptions{StrictUTF8: true, BlankLineDocs: true}, 2,
			ErrInvalidUTF8},
		{"unknown format", p("x.docx"), ReadOptions{}, 0, ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readAll([]string{tt.path}, tt.opts, nil)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err %v, want *ParseError", err)
			}
			if pe.File != tt.path || pe.Line != tt.line {
				t.Errorf("at %s:%d, want %s:%d", pe.File, pe.Line,
					tt.path, tt.line)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err %v, want %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		_, err := readAll([]string{p("nope.txt")}, ReadOptions{}, nil)
		if !errors.Is(err, fs.ErrNotExist) ||
			!strings.Contains(err.Error(), "nope.txt") {
			t.Errorf("err %v, want not-exist naming the file", err)
		}
	})
	t.Run("line too long", func(t *testing.T) {
		_, err := readAll([]string{p("bad.jsonl")},
			ReadOptions{MaxDocBytes: 5}, nil)
		if !errors.Is(err, ErrTooLong) {
			t.Errorf("err %v, want ErrTooLong", err)
		}
	})
}

// TestReadStopsAtError pins that a consumer ignoring an error still
// gets no more documents.
func TestReadStopsAtError(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.jsonl": "{\n{\"text\":\"x\"}\n",
		"b.txt": "more"})
	n, errs := 0, 0
	for _, err := range Read([]string{dir}, ReadOptions{}, nil) {
		if err != nil {
			errs++
			continue
		}
		n++
	}
	if n != 0 || errs != 1 {
		t.Errorf("%d docs and %d errors, want 0 and 1", n, errs)
	}
}

func TestReadSkipsBinary(t *testing.T) {
	dir := writeFiles(t, map[string]string{"bin.txt": "MZ\x00\x00\x01",
		"ok.txt": "text"})
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	docs, err := readAll([]string{dir}, ReadOptions{}, log)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0].Text != "text" {
		t.Errorf("docs %q, want only ok.txt", docs)
	}
	if !strings.Contains(logs.String(), "bin.txt") ||
		!strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("no warning naming bin.txt in %q", logs.String())
	}
}

// parquetRow is the schema of the generated parquet test file.
type parquetRow struct {
	ID   int64   `parquet:"id"`
	Text *string `parquet:"content,optional"`
}

func writeParquet(t *testing.T, path string, rows []parquetRow) {
	t.Helper()
	var b bytes.Buffer
	w := parquet.NewGenericWriter[parquetRow](&b,
		parquet.PageBufferSize(64))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	body := b.Bytes()
	if strings.HasSuffix(path, ".gz") {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(body)
		zw.Close()
		body = z.Bytes()
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadParquet(t *testing.T) {
	dir := t.TempDir()
	var rows []parquetRow
	var want []string
	for i := range 300 {
		s := strings.Repeat("x", i%7) + " row " + string(rune('a'+i%26))
		if i%50 == 7 {
			rows = append(rows, parquetRow{ID: int64(i)}) // null text
			continue
		}
		rows = append(rows, parquetRow{ID: int64(i), Text: &s})
		want = append(want, s)
	}
	for _, name := range []string{"t.parquet", "t.parquet.gz"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			writeParquet(t, path, rows)
			docs, err := readAll([]string{path},
				ReadOptions{TextField: "content"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range docs {
				got = append(got, d.Text)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %d docs, want %d", len(got), len(want))
			}
			if docs[0].ID != path+"#1" || docs[7].ID != path+"#9" {
				t.Errorf("ids %s %s", docs[0].ID, docs[7].ID)
			}
		})
	}
	t.Run("missing column", func(t *testing.T) {
		path := filepath.Join(dir, "t.parquet")
		_, err := readAll([]string{path}, ReadOptions{}, nil)
		if !errors.Is(err, ErrNoTextField) {
			t.Errorf("err %v, want ErrNoTextField", err)
		}
	})
	t.Run("not parquet", func(t *testing.T) {
		path := filepath.Join(dir, "junk.parquet")
		os.WriteFile(path, []byte("this is not parquet at all"), 0o644)
		_, err := readAll([]string{path}, ReadOptions{}, nil)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.File != path {
			t.Errorf("err %v, want ParseError naming %s", err, path)
		}
	})
}

func TestJSONErrorNamesTheField(t *testing.T) {
	var v struct {
		Chosen string `json:"chosen"`
	}
	err := JSONError(json.Unmarshal([]byte(`{"chosen": 3}`), &v))
	if err == nil || err.Error() != "field chosen: want string, got a "+
		"JSON number" {
		t.Fatalf("err = %v", err)
	}
	err = JSONError(json.Unmarshal([]byte(`{"chosen": `), &v))
	if err == nil || !strings.Contains(err.Error(), "invalid JSON") {
		t.Fatalf("err = %v", err)
	}
}
