package data

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Rule names a cleaning filter; it is the key under which report.json
// counts the documents the filter dropped.
type Rule string

// The rules, in the order Clean applies them. The first that fails
// drops the document.
const (
	RuleInvalidUTF8 Rule = "invalid_utf8"
	RuleControl     Rule = "control_chars"
	RuleMinChars    Rule = "min_chars"
	RuleMaxChars    Rule = "max_chars"
	RuleAlnum       Rule = "alnum_frac"
	RuleWordLen     Rule = "mean_word_len"
	RuleDupLines    Rule = "dup_lines"
	RuleDupNGrams   Rule = "dup_ngrams"
	RuleNone        Rule = ""
	ruleBoilerplate      = "boilerplate"
)

// Rules lists every rule that can drop a document, in order.
var Rules = []Rule{RuleInvalidUTF8, RuleControl, RuleMinChars,
	RuleMaxChars, RuleAlnum, RuleWordLen, RuleDupLines, RuleDupNGrams}

// FilterConfig holds the cleaning heuristics. A zero threshold turns
// its rule off. DefaultFilterConfig gives the values shown, which
// follow the Gopher rules (Rae et al. 2021) loosened for short texts.
type FilterConfig struct {
	// DropInvalidUTF8 drops documents with invalid UTF-8; otherwise
	// each bad byte is replaced by U+FFFD. Key invalid_utf8 =
	// drop|repair. Default repair.
	DropInvalidUTF8 bool
	// MaxControlFrac drops documents whose share of control
	// characters (other than tab, newline, carriage return) exceeds
	// it; any NUL drops the document; the rest are removed. Key
	// max_control_frac. Default 0.01.
	MaxControlFrac float64
	// MinChars and MaxChars bound the length in characters after
	// boilerplate removal. Keys min_chars, max_chars. Defaults 20
	// and 1,000,000.
	MinChars, MaxChars int
	// MinAlnumFrac is the least share of letters, digits and marks
	// among non-space characters. Key min_alnum_frac. Default 0.6.
	MinAlnumFrac float64
	// MinMeanWordLen and MaxMeanWordLen bound the mean length in
	// characters of space-separated words. Texts whose letters are
	// mostly from scripts written without spaces (Han, Hiragana,
	// Katakana, Thai, ...) skip this rule and the n-gram rule. Keys
	// min_mean_word_len, max_mean_word_len. Defaults 2 and 12.
	MinMeanWordLen, MaxMeanWordLen float64
	// MaxDupLineFrac is the largest share of non-blank lines that
	// repeat an earlier line. Key max_dup_line_frac. Default 0.3.
	MaxDupLineFrac float64
	// DupNGramSize and MaxDupNGramFrac: the share of word
	// characters covered by word n-grams occurring more than once
	// must not exceed MaxDupNGramFrac. Keys dup_ngram_size,
	// max_dup_ngram_frac. Defaults 5 and 0.2.
	DupNGramSize    int
	MaxDupNGramFrac float64
	// Boilerplate lists phrases; a line containing one (ignoring
	// case) is removed, the document kept. Key boilerplate, a
	// comma-separated list ("" for none).
	Boilerplate []string
}

// DefaultFilterConfig returns the documented defaults.
func DefaultFilterConfig() FilterConfig {
	return FilterConfig{
		MaxControlFrac:  0.01,
		MinChars:        20,
		MaxChars:        1_000_000,
		MinAlnumFrac:    0.6,
		MinMeanWordLen:  2,
		MaxMeanWordLen:  12,
		MaxDupLineFrac:  0.3,
		DupNGramSize:    5,
		MaxDupNGramFrac: 0.2,
		Boilerplate: []string{"cookie policy", "all rights reserved",
			"privacy policy", "terms of use", "accept cookies",
			"subscribe to our newsletter", "enable javascript"},
	}
}

// Set changes one field from a "--filter key=value" flag. The value
// "off" turns a threshold off. An unknown key is an error naming it.
func (c *FilterConfig) Set(key, value string) error {
	if value == "off" && key != "invalid_utf8" && key != "boilerplate" {
		value = "0"
	}
	var err error
	switch key {
	case "invalid_utf8":
		switch value {
		case "drop", "repair":
			c.DropInvalidUTF8 = value == "drop"
		default:
			err = fmt.Errorf("want drop or repair")
		}
	case "max_control_frac":
		c.MaxControlFrac, err = parseFrac(value)
	case "min_chars":
		c.MinChars, err = strconv.Atoi(value)
	case "max_chars":
		c.MaxChars, err = strconv.Atoi(value)
	case "min_alnum_frac":
		c.MinAlnumFrac, err = parseFrac(value)
	case "min_mean_word_len":
		c.MinMeanWordLen, err = strconv.ParseFloat(value, 64)
	case "max_mean_word_len":
		c.MaxMeanWordLen, err = strconv.ParseFloat(value, 64)
	case "max_dup_line_frac":
		c.MaxDupLineFrac, err = parseFrac(value)
	case "dup_ngram_size":
		c.DupNGramSize, err = strconv.Atoi(value)
	case "max_dup_ngram_frac":
		c.MaxDupNGramFrac, err = parseFrac(value)
	case "boilerplate":
		c.Boilerplate = nil
		for _, p := range strings.Split(value, ",") {
			if p = strings.TrimSpace(p); p != "" {
				c.Boilerplate = append(c.Boilerplate, p)
			}
		}
	default:
		return fmt.Errorf("data: unknown filter key %q", key)
	}
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		err = errors.New("want a number (or off)")
	}
	if err != nil {
		return fmt.Errorf("data: filter %s=%q: %w", key, value, err)
	}
	return nil
}

// SetFlag parses "key=value" and calls Set.
func (c *FilterConfig) SetFlag(kv string) error {
	key, value, ok := strings.Cut(kv, "=")
	if !ok {
		return fmt.Errorf("data: filter %q: want key=value", kv)
	}
	return c.Set(strings.TrimSpace(key), strings.TrimSpace(value))
}

func parseFrac(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err == nil && (f < 0 || f > 1) {
		err = fmt.Errorf("want a fraction in [0, 1]")
	}
	return f, err
}

// Cleaned is what Clean did to one document.
type Cleaned struct {
	Text         string // the cleaned text, "" when dropped
	Dropped      Rule   // the failing rule, RuleNone when kept
	Repaired     bool   // invalid UTF-8 was replaced
	RemovedLines int    // boilerplate lines removed
}

// Clean applies the filters to one document. It is safe to call from
// several goroutines.
func (c *FilterConfig) Clean(text string) Cleaned {
	var out Cleaned
	if !utf8.ValidString(text) {
		if c.DropInvalidUTF8 {
			return Cleaned{Dropped: RuleInvalidUTF8}
		}
		text = strings.ToValidUTF8(text, "\uFFFD")
		out.Repaired = true
	}
	text, ok := c.stripControl(text)
	if !ok {
		return Cleaned{Dropped: RuleControl, Repaired: out.Repaired}
	}
	text, out.RemovedLines = c.removeBoilerplate(text)
	out.Dropped = c.judge(text)
	if out.Dropped == RuleNone {
		out.Text = text
	}
	return out
}

// judge runs the document-level rules on a repaired text.
func (c *FilterConfig) judge(text string) Rule {
	st := measure(text)
	switch {
	case c.MinChars > 0 && st.chars < c.MinChars:
		return RuleMinChars
	case c.MaxChars > 0 && st.chars > c.MaxChars:
		return RuleMaxChars
	case c.MinAlnumFrac > 0 &&
		float64(st.alnum) < c.MinAlnumFrac*float64(st.nonSpace):
		return RuleAlnum
	}
	if st.unspaced*2 > st.letters {
		return RuleNone // word rules do not apply to CJK and Thai
	}
	words := strings.Fields(text)
	if len(words) > 0 {
		mean := float64(st.nonSpace) / float64(len(words))
		if c.MinMeanWordLen > 0 && mean < c.MinMeanWordLen ||
			c.MaxMeanWordLen > 0 && mean > c.MaxMeanWordLen {
			return RuleWordLen
		}
	}
	if c.MaxDupLineFrac > 0 && dupLineFrac(text) > c.MaxDupLineFrac {
		return RuleDupLines
	}
	if c.MaxDupNGramFrac > 0 && c.DupNGramSize > 0 &&
		DupNGramFrac(words, c.DupNGramSize) > c.MaxDupNGramFrac {
		return RuleDupNGrams
	}
	return RuleNone
}

// stripControl removes control characters other than \t \n \r; it
// reports false when there are too many or any NUL.
func (c *FilterConfig) stripControl(text string) (string, bool) {
	n, total := 0, 0
	for _, r := range text {
		total++
		if r == 0 {
			return "", false
		}
		if isControl(r) {
			n++
		}
	}
	if n == 0 {
		return text, true
	}
	if c.MaxControlFrac > 0 &&
		float64(n) > c.MaxControlFrac*float64(total) {
		return "", false
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, text), true
}

func isControl(r rune) bool {
	return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
}

// removeBoilerplate drops the lines that contain a listed phrase.
func (c *FilterConfig) removeBoilerplate(text string) (string, int) {
	if len(c.Boilerplate) == 0 {
		return text, 0
	}
	lower := strings.ToLower(text)
	hit := false
	for _, p := range c.Boilerplate {
		if strings.Contains(lower, strings.ToLower(p)) {
			hit = true
			break
		}
	}
	if !hit {
		return text, 0
	}
	var b strings.Builder
	removed := 0
	for line := range strings.Lines(text) {
		if c.isBoilerplate(strings.ToLower(line)) {
			removed++
			continue
		}
		b.WriteString(line)
	}
	return strings.TrimRight(b.String(), "\n"), removed
}

func (c *FilterConfig) isBoilerplate(lowerLine string) bool {
	for _, p := range c.Boilerplate {
		if strings.Contains(lowerLine, strings.ToLower(p)) {
			return true
		}
	}
	return false
}

// textStats counts character classes of a text.
type textStats struct {
	chars, nonSpace, alnum, letters, unspaced int
}

func measure(text string) textStats {
	var s textStats
	for _, r := range text {
		s.chars++
		if unicode.IsSpace(r) {
			continue
		}
		s.nonSpace++
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) {
			s.alnum++
		}
		if unicode.IsLetter(r) {
			s.letters++
			if isUnspaced(r) {
				s.unspaced++
			}
		}
	}
	return s
}

// isUnspaced reports letters of scripts written without spaces
// between words.
func isUnspaced(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana,
		unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar)
}

// dupLineFrac is the share of non-blank lines equal to an earlier one.
func dupLineFrac(text string) float64 {
	seen := map[string]bool{}
	lines, dups := 0, 0
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		lines++
		if seen[line] {
			dups++
		}
		seen[line] = true
	}
	if lines == 0 {
		return 0
	}
	return float64(dups) / float64(lines)
}

// DupNGramFrac is the Gopher repetition measure: the share of word
// characters that lie inside a word n-gram occurring more than once.
// Words are counted once even when several repeated n-grams cover
// them.
func DupNGramFrac(words []string, n int) float64 {
	if len(words) < n || n <= 0 {
		return 0
	}
	count := map[string]int{}
	key := func(i int) string { return strings.Join(words[i:i+n], " ") }
	for i := 0; i+n <= len(words); i++ {
		count[key(i)]++
	}
	covered := make([]bool, len(words))
	for i := 0; i+n <= len(words); i++ {
		if count[key(i)] > 1 {
			for j := i; j < i+n; j++ {
				covered[j] = true
			}
		}
	}
	dup, total := 0, 0
	for i, w := range words {
		total += len(w)
		if covered[i] {
			dup += len(w)
		}
	}
	return float64(dup) / float64(total)
}
