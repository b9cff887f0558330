package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	tok := testTokenizer(t)
	path := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := tok.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.VocabSize() != tok.VocabSize() ||
		!slices.Equal(got.Merges(), tok.Merges()) ||
		!slices.Equal(got.Specials(), tok.Specials()) {
		t.Fatal("loaded tokenizer differs in vocab, merges or specials")
	}
	for id := range int32(tok.VocabSize()) {
		if string(got.TokenBytes(id)) != string(tok.TokenBytes(id)) {
			t.Fatalf("token %d differs after load", id)
		}
	}
	text := testCorpus + "\xff\x00"
	if !slices.Equal(got.Encode(text), tok.Encode(text)) {
		t.Error("loaded tokenizer encodes differently")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("save left %d files, want only tokenizer.json",
			len(entries))
	}
}

// TestFileFormat checks the fields Hugging Face reads.
func TestFileFormat(t *testing.T) {
	data, err := testTokenizer(t).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		AddedTokens []map[string]any `json:"added_tokens"`
		Pre         struct {
			Type string           `json:"type"`
			Pre  []map[string]any `json:"pretokenizers"`
		} `json:"pre_tokenizer"`
		Decoder map[string]any `json:"decoder"`
		Model   struct {
			Type   string         `json:"type"`
			Vocab  map[string]int `json:"vocab"`
			Merges []string       `json:"merges"`
		} `json:"model"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"six specials", len(f.AddedTokens) == NumSpecial},
		{"endoftext is 256", f.AddedTokens[0]["content"] == "<|endoftext|>" &&
			f.AddedTokens[0]["id"] == 256.0 &&
			f.AddedTokens[0]["special"] == true},
		{"sequence", f.Pre.Type == "Sequence" && len(f.Pre.Pre) == 2},
		{"split", f.Pre.Pre[0]["type"] == "Split" &&
			f.Pre.Pre[0]["behavior"] == "Isolated" &&
			f.Pre.Pre[0]["pattern"].(map[string]any)["Regex"] == Pattern},
		{"byte level", f.Pre.Pre[1]["type"] == "ByteLevel" &&
			f.Pre.Pre[1]["use_regex"] == false &&
			f.Pre.Pre[1]["add_prefix_space"] == false},
		{"decoder", f.Decoder["type"] == "ByteLevel"},
		{"bpe", f.Model.Type == "BPE"},
		{"space is Ġ", f.Model.Vocab["Ġ"] == ' '},
		{"byte 0 is Ā", f.Model.Vocab["Ā"] == 0},
		{"a is a", f.Model.Vocab["a"] == 'a'},
		{"marker in vocab", f.Model.Vocab["<|end|>"] == int(End)},
		{"merges", len(f.Model.Merges) == len(testTokenizer(t).Merges())},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: wrong", c.name)
		}
	}
}

// TestParseForeignFile reads a hand-written Hugging Face file with its
// own ids (bytes not at their own value), pair-style merges and one
// special token at the end.
func TestParseForeignFile(t *testing.T) {
	vocab := map[string]int{}
	for b := 255; b >= 0; b-- {
		vocab[byteLevelString([]byte{byte(b)})] = 255 - b
	}
	vocab["ab"] = 256
	vocab["abc"] = 257
	doc := map[string]any{
		"added_tokens": []any{map[string]any{"id": 258,
			"content": "<eos>", "special": true}},
		"normalizer":    nil,
		"pre_tokenizer": json.RawMessage(hfPreTokenizerJSON()),
		"model": map[string]any{"type": "BPE", "vocab": vocab,
			"merges": [][2]string{{"a", "b"}, {"ab", "c"}}},
	}
	data, _ := json.Marshal(doc)
	tok, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []int32{257, 255 - ' ', 257, 255 - 'd'}
	// "abc", " abcd": the space stays alone, a+b then ab+c merge.
	if got := tok.Encode("abc abcd"); !slices.Equal(got, want) {
		t.Errorf("Encode = %v, want %v", got, want)
	}
	if got := string(tok.Decode([]int32{258, 257})); got != "<eos>abc" {
		t.Errorf("Decode = %q", got)
	}
}

func hfPreTokenizerJSON() string {
	data, err := testTokenizer(nil).MarshalJSON()
	if err != nil {
		panic(err)
	}
	var f struct {
		Pre json.RawMessage `json:"pre_tokenizer"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		panic(err)
	}
	return string(f.Pre)
}

func TestParseErrors(t *testing.T) {
	good, err := testTokenizer(t).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, old, new, want string
	}{
		{"not json", `{"version"`, `{"version`, "parse tokenizer.json"},
		{"wordpiece", `"type":"BPE"`, `"type":"WordPiece"`, "model.type"},
		{"other regex", `"Isolated"`, `"Removed"`, "pre_tokenizer"},
		{"normalizer", `"normalizer":null`,
			`"normalizer":{"type":"NFC"}`, "normalizer"},
		{"missing merge token", `"merges":[` + "\n" + `"`,
			`"merges":["zzq zzq",` + "\n" + `"`, "model.merges[0]"},
		{"not special", `"special":true`, `"special":false`,
			"non-special"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(string(good), tc.old, tc.new, 1)
			if doc == string(good) {
				t.Fatalf("test edit %q did not apply", tc.old)
			}
			_, err := Parse([]byte(doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestJSONFieldRoundTrip(t *testing.T) {
	type checkpoint struct{ Tok *Tokenizer }
	data, err := json.Marshal(checkpoint{testTokenizer(t)})
	if err != nil {
		t.Fatal(err)
	}
	var back checkpoint
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Tok.Merges(), testTokenizer(t).Merges()) {
		t.Error("merges lost through a JSON field")
	}
}

func TestStreamDecoder(t *testing.T) {
	tok := testTokenizer(t)
	tests := []struct{ name, in string }{
		{"ascii", "plain words"},
		{"cjk byte by byte", "中文分词"},
		{"emoji", "👨\u200d👩\u200d👧 ok"},
		{"invalid", "a\xff\xe4\xb8b\xf0\x9f"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Byte ids force characters to straddle tokens.
			ids := make([]int32, len(tc.in))
			for i := range len(tc.in) {
				ids[i] = int32(tc.in[i])
			}
			ids = append(ids, tok.Encode(tc.in)...)
			d := tok.NewStreamDecoder()
			var all strings.Builder
			for _, id := range ids {
				piece := d.Write(id)
				if n := incompleteTail([]byte(piece)); n != len(piece) {
					t.Fatalf("Write returned an incomplete tail %q", piece)
				}
				all.WriteString(piece)
			}
			all.WriteString(d.Flush())
			if all.String() != string(tok.Decode(ids)) {
				t.Fatalf("stream = %q, want %q", all.String(),
					tok.Decode(ids))
			}
		})
	}
	// A character split over two writes comes out whole, once.
	d := tok.NewStreamDecoder()
	if got := d.Write(0xe4) + d.Write(0xb8); got != "" {
		t.Errorf("partial character leaked: %q", got)
	}
	if got := d.Write(0xad); got != "中" {
		t.Errorf("completed character = %q, want 中", got)
	}
}
