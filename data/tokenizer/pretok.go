package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// Pattern is the cl100k pre-tokenization regex that pretok implements by
// hand (Go's regexp has no look-ahead); it is written into tokenizer.json
// so that Hugging Face tokenizers split text the same way.
const Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+` +
	`|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// Character classes of the pattern. Bytes that are not valid UTF-8 count
// as clsOther, like punctuation, so every input still splits somewhere.
const (
	clsOther   uint8 = iota // [^\s\p{L}\p{N}]
	clsLetter               // \p{L}
	clsNumber               // \p{N}
	clsSpace                // \s other than \r and \n
	clsNewline              // \r or \n
)

// asciiClass answers the common case without decoding a rune.
var asciiClass [128]uint8

func init() {
	for c := 0; c < 128; c++ {
		asciiClass[c] = runeClass(rune(c))
	}
}

func runeClass(r rune) uint8 {
	switch {
	case r == '\r' || r == '\n':
		return clsNewline
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsNumber(r):
		return clsNumber
	case unicode.IsSpace(r):
		return clsSpace
	}
	return clsOther
}

// classAt returns the class of the character starting at s[i] and its
// width in bytes; an invalid byte is a one-byte clsOther character.
func classAt(s string, i int) (cls uint8, size int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && n == 1 {
		return clsOther, 1
	}
	return runeClass(r), n
}

// run returns the end of the run of class cls that starts at i.
func run(s string, i int, cls uint8) int {
	for i < len(s) {
		c, n := classAt(s, i)
		if c != cls {
			break
		}
		i += n
	}
	return i
}

// nextPiece returns the end of the pre-token that starts at s[i]; i must
// be < len(s). The cases follow the alternatives of Pattern in order, so
// the first one that matches wins, as in a backtracking regex engine.
func nextPiece(s string, i int) int {
	// 1. Contractions, case-insensitive.
	if s[i] == '\'' {
		if n := contraction(s, i+1); n > 0 {
			return i + 1 + n
		}
	}
	cls, n := classAt(s, i)

	// 2. A letter run with at most one leading non-letter, non-digit,
	// non-newline character (a space, a tab, a quote).
	if cls == clsLetter {
		return run(s, i+n, clsLetter)
	}
	if cls != clsNumber && cls != clsNewline && i+n < len(s) {
		if c2, n2 := classAt(s, i+n); c2 == clsLetter {
			return run(s, i+n+n2, clsLetter)
		}
	}

	// 3. One to three digits.
	if cls == clsNumber {
		j := i + n
		for k := 1; k < 3 && j < len(s); k++ {
			c2, n2 := classAt(s, j)
			if c2 != clsNumber {
				break
			}
			j += n2
		}
		return j
	}

	// 4. An optional space, a punctuation run, trailing newlines.
	j := i
	if s[i] == ' ' {
		j++
	}
	if j < len(s) {
		if c2, _ := classAt(s, j); c2 == clsOther {
			j = run(s, j, clsOther)
			for j < len(s) && (s[j] == '\r' || s[j] == '\n') {
				j++
			}
			return j
		}
	}
	return whitespacePiece(s, i)
}

// whitespacePiece handles alternatives 5 to 7 for a whitespace run at i:
// up to the last newline of the run; else the whole run at the end of
// the text; else all but its last character, so that the last one can
// lead the next word; else the single character.
func whitespacePiece(s string, i int) int {
	end, last, lastNewline, chars := i, i, -1, 0
	for end < len(s) {
		c, n := classAt(s, end)
		if c != clsSpace && c != clsNewline {
			break
		}
		if c == clsNewline {
			lastNewline = end
		}
		last = end
		end += n
		chars++
	}
	switch {
	case lastNewline >= 0:
		return lastNewline + 1
	case end == len(s) || chars == 1:
		return end
	}
	return last
}

// contraction returns the length of the contraction suffix ('s, 't, 're,
// 've, 'm, 'll, 'd in any case) that starts at s[i], or 0.
func contraction(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	switch s[i] | 0x20 {
	case 's', 't', 'm', 'd':
		return 1
	}
	if i+1 >= len(s) {
		return 0
	}
	pair := string([]byte{s[i] | 0x20, s[i+1] | 0x20})
	switch pair {
	case "re", "ve", "ll":
		return 2
	}
	return 0
}

// Split returns the pre-tokens of text, in order; their concatenation is
// text. Tests and tools use it; the encoder walks nextPiece directly.
func Split(text string) []string {
	var out []string
	for i := 0; i < len(text); {
		j := nextPiece(text, i)
		out = append(out, text[i:j])
		i = j
	}
	return out
}
