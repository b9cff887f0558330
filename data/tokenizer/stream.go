package tokenizer

import "unicode/utf8"

// StreamDecoder turns ids into text one at a time, as a model samples
// them. A character split across tokens is held back until its last byte
// arrives, so every piece returned can be printed on its own.
type StreamDecoder struct {
	t       *Tokenizer
	pending []byte
}

// NewStreamDecoder returns a decoder with nothing pending.
func (t *Tokenizer) NewStreamDecoder() *StreamDecoder {
	return &StreamDecoder{t: t}
}

// Write adds one id and returns the text that is now complete. Only the
// start of a UTF-8 sequence that more bytes could still complete is held
// back; bytes that can never become valid UTF-8 are returned as they
// are, so the pieces of Write and Flush concatenate to Decode(ids).
func (d *StreamDecoder) Write(id int32) string {
	d.pending = append(d.pending, d.t.TokenBytes(id)...)
	cut := incompleteTail(d.pending)
	out := string(d.pending[:cut])
	d.pending = append(d.pending[:0], d.pending[cut:]...)
	return out
}

// Flush returns whatever is held back, complete or not, and resets d.
func (d *StreamDecoder) Flush() string {
	out := string(d.pending)
	d.pending = d.pending[:0]
	return out
}

// incompleteTail returns where a trailing, incomplete but so far valid
// UTF-8 sequence starts in b, or len(b) when there is none.
func incompleteTail(b []byte) int {
	for k := len(b) - 1; k >= 0 && k >= len(b)-utf8.UTFMax+1; k-- {
		if utf8.RuneStart(b[k]) {
			if !utf8.FullRune(b[k:]) {
				return k
			}
			break
		}
	}
	return len(b)
}
