package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// Doc is one document read from an input.
type Doc struct {
	// ID names where the document came from: "path" for a whole
	// file, "path:line" for a JSONL line or a blank-line separated
	// paragraph (its first line), "path#row" for a parquet row,
	// "builtin#n" for the built-in corpus.
	ID string
	// Text is the document, as read (not yet cleaned).
	Text string
}

// ReadOptions says how inputs are parsed. The zero value is usable.
type ReadOptions struct {
	// TextField is the JSONL field and the parquet column holding
	// the text. Default "text".
	TextField string
	// BlankLineDocs splits .txt files into documents at blank
	// lines; otherwise a .txt file is one document.
	BlankLineDocs bool
	// StrictUTF8 turns invalid UTF-8 into a *ParseError; otherwise
	// it is passed on for the cleaning filters to repair or drop.
	StrictUTF8 bool
	// MaxDocBytes bounds one document or one line, so that a
	// corrupt input cannot exhaust memory. Default 32 MiB.
	MaxDocBytes int
	// OnSkip, when set, is told of each file skipped as binary or
	// empty, besides the warning.
	OnSkip func(path, reason string)
}

func (o ReadOptions) withDefaults() ReadOptions {
	if o.TextField == "" {
		o.TextField = "text"
	}
	if o.MaxDocBytes <= 0 {
		o.MaxDocBytes = 32 << 20
	}
	return o
}

// ParseError reports bad input with its position, like csv.ParseError.
// Line is 1-based for text formats, the row number for parquet, and 0
// when the whole file is at fault.
type ParseError struct {
	File string
	Line int
	Err  error
}

func (e *ParseError) Error() string {
	msg := JSONError(e.Err)
	if e.Line > 0 {
		return fmt.Sprintf("data: %s:%d: %v", e.File, e.Line, msg)
	}
	return fmt.Sprintf("data: %s: %v", e.File, msg)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Errors carried by ParseError.
var (
	ErrEmptyFile   = errors.New("empty file")
	ErrInvalidUTF8 = errors.New("invalid UTF-8")
	ErrTooLong     = errors.New("document or line longer than MaxDocBytes")
	ErrNoTextField = errors.New("no text field")
	ErrFormat      = errors.New("unsupported file extension")
)

// Read streams the documents of the given files and folders in a
// fixed order: paths as given, folders walked recursively in
// lexical order. Memory stays bounded by one document (one parquet
// page). Files holding NUL bytes in their first 8 KiB are binary:
// they are skipped with a warning on log (which may be nil). After an
// error the sequence stops.
func Read(paths []string, opts ReadOptions,
	log *slog.Logger) iter.Seq2[Doc, error] {
	opts = opts.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(yield func(Doc, error) bool) {
		// Stop at the first error, whatever the consumer answers.
		yield1 := func(d Doc, err error) bool {
			return yield(d, err) && err == nil
		}
		for _, p := range paths {
			files, err := expand(p)
			if err != nil {
				yield(Doc{}, err)
				return
			}
			explicit := len(files) == 1 && files[0] == p
			for _, f := range files {
				if !readFile(f, explicit, opts, log, yield1) {
					return
				}
			}
		}
	}
}

// expand lists the readable files under p: p itself when it is a
// file, or every file of a known format below it when it is a folder.
func expand(p string) ([]string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("data: input: %w", err)
	}
	if !st.IsDir() {
		return []string{p}, nil
	}
	var files []string
	err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && formatOf(q) != "" {
			files = append(files, q)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("data: walk %s: %w", p, err)
	}
	sort.Strings(files)
	return files, nil
}

// formatOf returns "txt", "jsonl" or "parquet" from the file name,
// looking through one ".gz", or "" when the format is unknown.
func formatOf(name string) string {
	name = strings.TrimSuffix(strings.ToLower(name), ".gz")
	switch filepath.Ext(name) {
	case ".txt", ".text", ".md":
		return "txt"
	case ".jsonl", ".ndjson":
		return "jsonl"
	case ".parquet":
		return "parquet"
	}
	return ""
}

// readFile yields the documents of one file and reports whether the
// caller should go on.
func readFile(path string, explicit bool, opts ReadOptions,
	log *slog.Logger, yield func(Doc, error) bool) bool {
	format := formatOf(path)
	if format == "" {
		return yield(Doc{}, &ParseError{File: path, Err: ErrFormat})
	}
	f, err := os.Open(path)
	if err != nil {
		return yield(Doc{}, fmt.Errorf("data: %w", err))
	}
	defer f.Close()

	// Decompress, then sniff the head for emptiness and NUL bytes.
	var r io.Reader = f
	if strings.HasSuffix(strings.ToLower(path), ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return yield(Doc{}, &ParseError{File: path, Err: err})
		}
		defer zr.Close()
		r = zr
	}
	if format == "parquet" {
		return readParquet(path, r, f, opts, yield)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if ok, err := sniff(path, br, explicit, opts, log); !ok {
		return err == nil || yield(Doc{}, err)
	}

	if format == "jsonl" {
		return readJSONL(path, br, opts, yield)
	}
	if opts.BlankLineDocs {
		return readParagraphs(path, br, opts, yield)
	}
	return readWhole(path, br, opts, yield)
}

// sniff reports whether the file is worth reading: not empty, not
// binary. An empty file named explicitly is an error.
func sniff(path string, br *bufio.Reader, explicit bool, opts ReadOptions,
	log *slog.Logger) (bool, error) {
	head, err := br.Peek(8 << 10)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return false, &ParseError{File: path, Err: err}
	}
	if len(head) == 0 {
		if explicit {
			return false, &ParseError{File: path, Err: ErrEmptyFile}
		}
		log.Warn("data: skip empty file", "file", path)
		opts.skipped(path, "empty")
		return false, nil
	}
	if bytes.IndexByte(head, 0) >= 0 {
		log.Warn("data: skip binary file (NUL bytes)", "file", path)
		opts.skipped(path, "binary")
		return false, nil
	}
	return true, nil
}

func (o ReadOptions) skipped(path, reason string) {
	if o.OnSkip != nil {
		o.OnSkip(path, reason)
	}
}

// readWhole yields the whole file as one document.
func readWhole(path string, r io.Reader, opts ReadOptions,
	yield func(Doc, error) bool) bool {
	b, err := io.ReadAll(io.LimitReader(r, int64(opts.MaxDocBytes)+1))
	if err != nil {
		return yield(Doc{}, &ParseError{File: path, Err: err})
	}
	if len(b) > opts.MaxDocBytes {
		return yield(Doc{}, &ParseError{File: path, Err: ErrTooLong})
	}
	if opts.StrictUTF8 && !utf8.Valid(b) {
		line := 1 + bytes.Count(b[:invalidAt(b)], []byte{'\n'})
		return yield(Doc{}, &ParseError{path, line, ErrInvalidUTF8})
	}
	return yield(Doc{ID: path, Text: string(b)}, nil)
}

// invalidAt returns the offset of the first invalid UTF-8 sequence.
func invalidAt(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// lineReader reads lines of bounded length and counts them.
type lineReader struct {
	path string
	br   *bufio.Reader
	max  int
	line int
	buf  []byte
}

// next returns the next line without its newline, or io.EOF.
func (lr *lineReader) next() ([]byte, error) {
	lr.buf = lr.buf[:0]
	for {
		chunk, err := lr.br.ReadSlice('\n')
		lr.buf = append(lr.buf, chunk...)
		if len(lr.buf) > lr.max+1 {
			lr.line++
			return nil, &ParseError{lr.path, lr.line, ErrTooLong}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(lr.buf) == 0 {
			return nil, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, &ParseError{lr.path, lr.line + 1, err}
		}
		lr.line++
		return bytes.TrimRight(lr.buf, "\r\n"), nil
	}
}

// readParagraphs yields runs of non-blank lines as documents.
func readParagraphs(path string, br *bufio.Reader, opts ReadOptions,
	yield func(Doc, error) bool) bool {
	lr := &lineReader{path: path, br: br, max: opts.MaxDocBytes}
	var doc []byte
	start := 0
	flush := func() bool {
		if len(doc) == 0 {
			return true
		}
		id := fmt.Sprintf("%s:%d", path, start)
		d := Doc{ID: id, Text: string(doc)}
		doc = doc[:0]
		return yield(d, nil)
	}
	for {
		line, err := lr.next()
		if err == io.EOF {
			return flush()
		}
		if err != nil {
			return yield(Doc{}, err)
		}
		if opts.StrictUTF8 && !utf8.Valid(line) {
			return yield(Doc{}, &ParseError{path, lr.line, ErrInvalidUTF8})
		}
		if len(bytes.TrimSpace(line)) == 0 {
			if !flush() {
				return false
			}
			continue
		}
		if len(doc) == 0 {
			start = lr.line
		} else {
			doc = append(doc, '\n')
		}
		doc = append(doc, line...)
		if len(doc) > opts.MaxDocBytes {
			return yield(Doc{}, &ParseError{path, start, ErrTooLong})
		}
	}
}

// readJSONL yields the text field of each non-blank line.
func readJSONL(path string, br *bufio.Reader, opts ReadOptions,
	yield func(Doc, error) bool) bool {
	lr := &lineReader{path: path, br: br, max: opts.MaxDocBytes}
	for {
		line, err := lr.next()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return yield(Doc{}, err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if opts.StrictUTF8 && !utf8.Valid(line) {
			return yield(Doc{}, &ParseError{path, lr.line, ErrInvalidUTF8})
		}
		text, err := jsonField(line, opts.TextField)
		if err != nil {
			return yield(Doc{}, &ParseError{path, lr.line, err})
		}
		id := fmt.Sprintf("%s:%d", path, lr.line)
		if !yield(Doc{ID: id, Text: text}, nil) {
			return false
		}
	}
}

// jsonField decodes one string field of a JSON object.
func jsonField(line []byte, field string) (string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return "", err
	}
	raw, ok := obj[field]
	if !ok {
		return "", fmt.Errorf("%w %q", ErrNoTextField, field)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("field %q: %w", field, err)
	}
	return s, nil
}
