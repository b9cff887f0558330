package data

import (
	"math"
	"strings"
	"testing"
)

const prose = "The quick brown fox jumps over the lazy dog near the river."

func TestCleanRules(t *testing.T) {
	long := strings.Repeat("word ", 30)
	tests := []struct {
		name string
		set  map[string]string
		text string
		want Rule
		out  string // expected text when kept, "" to skip the check
	}{
		{"kept", nil, prose, RuleNone, prose},
		{"invalid utf8 repaired", nil, prose + " \xff", RuleNone,
			prose + " \uFFFD"},
		{"invalid utf8 dropped", map[string]string{"invalid_utf8": "drop"},
			prose + "\xff", RuleInvalidUTF8, ""},
		{"nul drops", nil, prose + "\x00", RuleControl, ""},
		{"few controls stripped", map[string]string{
			"max_control_frac": "0.5"}, "\x01" + prose, RuleNone, prose},
		{"many controls drop", nil, "\x01\x02\x03" + prose, RuleControl, ""},
		{"too short", nil, "hi there", RuleMinChars, ""},
		{"too long", map[string]string{"max_chars": "30"}, prose,
			RuleMaxChars, ""},
		{"symbols", nil, "#### $$$$ %%%% @@@@ !!!! ???? a", RuleAlnum, ""},
		{"short words", nil, "a b c d e f g h i j k l m n o p", RuleWordLen,
			""},
		{"long words", nil, strings.Repeat("x", 40) + " " +
			strings.Repeat("y", 40), RuleWordLen, ""},
		{"cjk skips word rules", nil,
			"我们今天去公园散步然后回家吃晚饭很高兴。" +
				"明天我们还要一起去图书馆看书。",
			RuleNone, ""},
		{"dup lines", nil, "same line here ok\nsame line here ok\n" +
			"same line here ok\nother line", RuleDupLines, ""},
		{"dup ngrams", map[string]string{"max_dup_line_frac": "off"}, long,
			RuleDupNGrams, ""},
		{"dup ngrams off", map[string]string{"max_dup_ngram_frac": "off",
			"max_dup_line_frac": "off"}, long, RuleNone, ""},
		{"boilerplate lines removed", nil, prose +
			"\nAll Rights Reserved 2024\nSee our cookie policy.", RuleNone,
			prose},
		{"boilerplate removal can shorten below min", nil,
			"short one\nCookie Policy applies to this site", RuleMinChars,
			""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultFilterConfig()
			for k, v := range tt.set {
				if err := cfg.Set(k, v); err != nil {
					t.Fatal(err)
				}
			}
			got := cfg.Clean(tt.text)
			if got.Dropped != tt.want {
				t.Fatalf("dropped by %q, want %q", got.Dropped, tt.want)
			}
			if tt.out != "" && got.Text != tt.out {
				t.Errorf("text %q, want %q", got.Text, tt.out)
			}
			if tt.want != RuleNone && got.Text != "" {
				t.Errorf("dropped doc has text %q", got.Text)
			}
		})
	}
}

func TestFilterSet(t *testing.T) {
	tests := []struct {
		flag    string
		wantErr string
		check   func(FilterConfig) bool
	}{
		{"min_chars=5", "", func(c FilterConfig) bool { return c.MinChars == 5 }},
		{"min_alnum_frac=off", "",
			func(c FilterConfig) bool { return c.MinAlnumFrac == 0 }},
		{"boilerplate=a, b ,", "", func(c FilterConfig) bool {
			return len(c.Boilerplate) == 2 && c.Boilerplate[1] == "b"
		}},
		{"boilerplate=", "", func(c FilterConfig) bool {
			return c.Boilerplate == nil
		}},
		{"invalid_utf8=drop", "",
			func(c FilterConfig) bool { return c.DropInvalidUTF8 }},
		{"no_such_rule=1", `unknown filter key "no_such_rule"`, nil},
		{"min_chars=abc", "min_chars", nil},
		{"max_dup_line_frac=1.5", "fraction", nil},
		{"invalid_utf8=maybe", "drop or repair", nil},
		{"novalue", "key=value", nil},
	}
	for _, tt := range tests {
		t.Run(tt.flag, func(t *testing.T) {
			cfg := DefaultFilterConfig()
			err := cfg.SetFlag(tt.flag)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one containing %q", err,
						tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(cfg) {
				t.Errorf("err %v, config %+v", err, cfg)
			}
		})
	}
}

func TestDupNGramFrac(t *testing.T) {
	tests := []struct {
		text string
		n    int
		want float64
	}{
		{"a b c d e", 2, 0},
		// "a b" occurs twice: words 0,1,3,4 covered, 4 of 5 letters.
		{"a b c a b", 2, 0.8},
		// One repeated 2-gram covers "aa bb" twice: 8 of 9 letters.
		{"aa bb c aa bb", 2, 8.0 / 9},
		{"x y", 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got := DupNGramFrac(strings.Fields(tt.text), tt.n)
			if math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("got %g, want %g", got, tt.want)
			}
		})
	}
}
