package tokenizer

import (
	"slices"
	"strings"
	"testing"
)

// The golden splits were worked out by hand from the cl100k alternatives,
// taken in order, with the backtracking of \s+(?!\S).
func TestSplitGolden(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"words", "Hello world", []string{"Hello", " world"}},
		{"contractions", "I'm don't we'll THEY'RE", []string{
			"I", "'m", " don", "'t", " we", "'ll", " THEY", "'RE"}},
		{"contraction prefix only", "'sup 'x", []string{
			"'s", "up", " '", "x"}},
		{"quote leads letters", "'tis", []string{"'t", "is"}},
		{"digits in threes", "12345 7", []string{
			"123", "45", " ", "7"}},
		{"digits after letters", "abc123", []string{"abc", "123"}},
		{"punctuation run", "wait...!? ok", []string{
			"wait", "...!?", " ok"}},
		{"space before punctuation", "a (b)", []string{
			"a", " (", "b", ")"}},
		{"punctuation keeps newlines", "end.\n\nNext", []string{
			"end", ".\n\n", "Next"}},
		{"two spaces before word", "a  b", []string{"a", " ", " b"}},
		{"many spaces before word", "a    b", []string{
			"a", "   ", " b"}},
		{"trailing spaces", "a   ", []string{"a", "   "}},
		{"spaces then newline", "a  \n b", []string{"a", "  \n", " b"}},
		{"crlf", "x\r\ny", []string{"x", "\r\n", "y"}},
		{"tab leads word", "\tfoo", []string{"\tfoo"}},
		{"newline never leads word", "\nfoo", []string{"\n", "foo"}},
		{"space before digits", "a 42", []string{"a", " ", "42"}},
		{"single space before newline run", " \n\n x", []string{
			" \n\n", " x"}},
		{"cjk run", "中文分词 测试", []string{"中文分词", " 测试"}},
		{"combining mark leads letters", "e\u0301t", []string{
			"e", "\u0301t"}},
		{"two combining marks", "e\u0301\u0302t", []string{
			"e", "\u0301\u0302", "t"}},
		{"invalid bytes are punctuation", "a\xff\xfeb", []string{
			"a", "\xff\xfe", "b"}},
		{"nbsp leads word", "a\u00a0b", []string{"a", "\u00a0b"}},
		{"ideographic space run", "a\u3000\u3000b", []string{
			"a", "\u3000", "\u3000b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Split(tc.in)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Split(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestSplitChunksMatchesWhole checks that cutting at the chosen newlines
// never changes the pre-tokens.
func TestSplitChunksMatchesWhole(t *testing.T) {
	text := strings.Repeat("First line, 'tis.\n  indented\n\n\nx\r\n"+
		"中文\n 3\n", 500)
	chunks := splitChunks(text, 100)
	if len(chunks) < 10 {
		t.Fatalf("got %d chunks, want many", len(chunks))
	}
	var pieces []string
	for _, c := range chunks {
		pieces = append(pieces, Split(c)...)
	}
	if want := Split(text); !slices.Equal(pieces, want) {
		t.Errorf("chunked split differs from whole split")
	}
}
