package tokenizer

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"unicode/utf8"
)

// The Hugging Face pipeline our files declare: no normalizer, the cl100k
// split, byte-level alphabet without its own regex, byte-level decoder.
const (
	hfPreTokenizer = `{"type":"Sequence","pretokenizers":[` +
		`{"type":"Split","pattern":{"Regex":%s},"behavior":"Isolated",` +
		`"invert":false},{"type":"ByteLevel","add_prefix_space":false,` +
		`"trim_offsets":true,"use_regex":false}]}`
	hfDecoder = `{"type":"ByteLevel","add_prefix_space":false,` +
		`"trim_offsets":true,"use_regex":false}`
	hfModelHead = `{"type":"BPE","dropout":null,"unk_token":null,` +
		`"continuing_subword_prefix":null,"end_of_word_suffix":null,` +
		`"fuse_unk":false,"byte_fallback":false,"ignore_merges":false,`
)

// WriteTo writes t as a Hugging Face tokenizer.json to w.
func (t *Tokenizer) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: bufio.NewWriterSize(w, 1<<16)}
	bw := cw.w.(*bufio.Writer)
	cw.str(`{"version":"1.0","truncation":null,"padding":null,` +
		"\n" + `"added_tokens":[`)
	for i, s := range t.specials {
		if i > 0 {
			cw.str(",")
		}
		cw.str("\n" + `{"id":` + strconv.Itoa(int(s.ID)) + `,"content":`)
		cw.quote(s.Content)
		cw.str(`,"single_word":false,"lstrip":false,"rstrip":false,` +
			`"normalized":false,"special":true}`)
	}
	cw.str("],\n" + `"normalizer":null,` + "\n" + `"pre_tokenizer":`)
	cw.str(fmt.Sprintf(hfPreTokenizer, appendQuoted(nil, Pattern)))
	cw.str(",\n" + `"post_processor":null,` + "\n" + `"decoder":`)
	cw.str(hfDecoder + ",\n" + `"model":` + hfModelHead + "\n" + `"vocab":{`)
	for id := range t.tokens {
		if id > 0 {
			cw.str(",")
		}
		cw.str("\n")
		cw.quote(t.vocabKey(int32(id)))
		cw.str(":" + strconv.Itoa(id))
	}
	cw.str("},\n" + `"merges":[`)
	for i, m := range t.merges {
		if i > 0 {
			cw.str(",")
		}
		cw.str("\n")
		cw.quote(t.vocabKey(m.Left) + " " + t.vocabKey(m.Right))
	}
	cw.str("]}}\n")
	if cw.err == nil {
		cw.err = bw.Flush()
	}
	if cw.err != nil {
		return cw.n, fmt.Errorf("tokenizer: write tokenizer.json: %w", cw.err)
	}
	return cw.n, nil
}

// vocabKey is the vocab spelling of id: the marker of a special token,
// the byte-level alphabet otherwise.
func (t *Tokenizer) vocabKey(id int32) string {
	if t.special[id] {
		return string(t.tokens[id])
	}
	return byteLevelString(t.tokens[id])
}

// MarshalJSON returns t as a Hugging Face tokenizer.json document.
func (t *Tokenizer) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	if _, err := t.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Save writes t to path as tokenizer.json. It writes a temporary file in
// the same folder, syncs it and renames it over path, so readers never
// see half a file.
func (t *Tokenizer) Save(path string) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, base+".tmp*")
	if err != nil {
		return fmt.Errorf("tokenizer: save %s: %w", path, err)
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	// CreateTemp makes the file private; a tokenizer is not a secret.
	err = f.Chmod(0o644)
	if err == nil {
		_, err = t.WriteTo(f)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("tokenizer: save %s: %w", path, err)
	}
	return nil
}

// countWriter writes strings, counts bytes and keeps the first error.
type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) str(s string) {
	if c.err != nil {
		return
	}
	n, err := io.WriteString(c.w, s)
	c.n += int64(n)
	c.err = err
}

// quote writes s as a JSON string; s must be valid UTF-8. Unlike
// encoding/json it leaves <, > and & alone, so markers stay readable.
func (c *countWriter) quote(s string) {
	c.str(string(appendQuoted(make([]byte, 0, len(s)+2), s)))
}

// appendQuoted appends s to buf as a JSON string.
func appendQuoted(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			buf = append(buf, '\\', byte(r))
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			buf = fmt.Appendf(buf, `\u%04x`, r)
		default:
			buf = utf8.AppendRune(buf, r)
		}
	}
	return append(buf, '"')
}
