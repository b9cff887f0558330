package data

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"
)

// readParquet yields the text column of a parquet file, one page of
// values at a time. A gzipped file is first spooled to a temporary
// file, since parquet needs random access.
func readParquet(path string, r io.Reader, f *os.File, opts ReadOptions,
	yield func(Doc, error) bool) bool {
	if r != io.Reader(f) {
		tmp, err := os.CreateTemp("", "tinyseek-*.parquet")
		if err != nil {
			return yield(Doc{}, fmt.Errorf("data: spool %s: %w", path, err))
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		if _, err := io.Copy(tmp, r); err != nil {
			return yield(Doc{}, &ParseError{File: path, Err: err})
		}
		f = tmp
	}
	st, err := f.Stat()
	if err != nil {
		return yield(Doc{}, fmt.Errorf("data: %w", err))
	}
	if st.Size() == 0 {
		return yield(Doc{}, &ParseError{File: path, Err: ErrEmptyFile})
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return yield(Doc{}, &ParseError{File: path, Err: err})
	}
	leaf, ok := pf.Schema().Lookup(opts.TextField)
	if !ok {
		err := fmt.Errorf("%w %q", ErrNoTextField, opts.TextField)
		return yield(Doc{}, &ParseError{File: path, Err: err})
	}

	row := 0
	for _, rg := range pf.RowGroups() {
		chunk := rg.ColumnChunks()[leaf.ColumnIndex]
		if !readChunk(path, chunk, &row, yield) {
			return false
		}
	}
	return true
}

// readChunk yields the values of one column chunk, numbering rows
// from *row on.
func readChunk(path string, chunk parquet.ColumnChunk, row *int,
	yield func(Doc, error) bool) bool {
	pages := chunk.Pages()
	defer pages.Close()
	buf := make([]parquet.Value, 256)
	for {
		page, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			return yield(Doc{}, &ParseError{path, *row + 1, err})
		}
		ok := readPage(path, page, buf, row, yield)
		parquet.Release(page)
		if !ok {
			return false
		}
	}
}

// readPage yields the non-null values of one page.
func readPage(path string, page parquet.Page, buf []parquet.Value,
	row *int, yield func(Doc, error) bool) bool {
	vr := page.Values()
	for {
		n, err := vr.ReadValues(buf)
		for _, v := range buf[:n] {
			*row++
			if v.IsNull() {
				continue
			}
			id := fmt.Sprintf("%s#%d", path, *row)
			if !yield(Doc{ID: id, Text: string(v.ByteArray())}, nil) {
				return false
			}
		}
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			return yield(Doc{}, &ParseError{path, *row + 1, err})
		}
	}
}
