package tokenizer

import "unicode/utf8"

// Hugging Face byte-level files spell every byte as a printable character
// (the GPT-2 alphabet), so that vocab keys and merges are readable text
// without spaces or control characters.
var (
	byteToRune [256]rune     // byte → printable rune
	runeToByte map[rune]byte // printable rune → byte
)

func init() {
	// Printable Latin-1 bytes keep their own code point; the rest are
	// numbered from U+0100 upwards in byte order.
	runeToByte = make(map[rune]byte, 256)
	next := rune(256)
	for b := 0; b < 256; b++ {
		printable := (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) ||
			(b >= 0xAE && b <= 0xFF)
		r := rune(b)
		if !printable {
			r = next
			next++
		}
		byteToRune[b] = r
		runeToByte[r] = byte(b)
	}
}

// byteLevelString spells raw bytes in the printable byte-level alphabet.
func byteLevelString(raw []byte) string {
	out := make([]byte, 0, 2*len(raw))
	for _, b := range raw {
		out = utf8.AppendRune(out, byteToRune[b])
	}
	return string(out)
}

// byteLevelBytes is the inverse of byteLevelString; ok is false when s
// holds a character outside the byte-level alphabet.
func byteLevelBytes(s string) (raw []byte, ok bool) {
	raw = make([]byte, 0, len(s))
	for _, r := range s {
		b, found := runeToByte[r]
		if !found {
			return nil, false
		}
		raw = append(raw, b)
	}
	return raw, true
}
