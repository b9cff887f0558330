// Package tokenizer is tinyseek's byte-level BPE tokenizer: training on
// a corpus, encoding, decoding (also one token at a time) and Hugging
// Face tokenizer.json files.
//
// # Vocabulary
//
// Every byte is a token, so any byte sequence, valid UTF-8 or not, round
// trips exactly: Decode(Encode(s)) == s. Nothing is normalised. Ids are
// fixed at the bottom of the vocabulary:
//
//	id        token            use
//	0-255     byte b has id b  base alphabet (ByteVocab)
//	256       <|endoftext|>    EndOfText: between documents
//	257       <|pad|>          Pad: batch filler, never trained on
//	258       <|system|>       System: opens the system turn
//	259       <|user|>         User: opens a user turn
//	260       <|assistant|>    Assistant: opens an assistant turn
//	261       <|end|>          End: closes a turn
//	262-      merges           in the order training learned them
//
// Encode never returns a special id, even for text that spells a marker;
// only the data pipeline inserts them. Decode turns a special id into its
// marker text. A vocabulary size below 262 is an error; exactly 262 gives
// a pure byte-level tokenizer with no merges.
//
// # Pre-tokenization
//
// Text is first cut into pre-tokens by the cl100k rules (see Pattern),
// implemented by hand because Go's regexp has no look-ahead. At each
// position the first rule that matches wins:
//
//  1. a contraction 's 't 're 've 'm 'll 'd, in any case;
//  2. a run of letters (\p{L}), led by at most one character that is not
//     a letter, digit, \r or \n (" word", "\tword", "'tis" after rule 1);
//  3. one to three digits (\p{N});
//  4. an optional space, a run of characters that are not whitespace,
//     letters or digits, and any \r and \n after it (" ...", ".\n\n");
//  5. whitespace up to and including its last \r or \n;
//  6. a whitespace run at the end of the text, or all but its last
//     character, which then leads the next word ("a   b" gives "a",
//     "  ", " b");
//  7. a single whitespace character.
//
// Bytes that are not valid UTF-8 count as punctuation (rule 4). Merges
// never cross pre-tokens. The split is the one Hugging Face's Split with
// Pattern (behaviour Isolated) makes; this was checked id for id on
// tinyshakespeare and on Chinese and mixed-script text (testdata/hfcheck).
//
// # Training
//
// Train counts distinct pre-tokens once (on all cores), then merges word
// types, not text: pair counts are updated incrementally around each
// merge and a lazy max-heap picks the next pair. Pre-tokens longer than
// 128 bytes are cut into chunks for counting so that long CJK runs cost
// linear time. Training stops when the vocabulary is full or no pair is
// left.
//
// Tie-breaking: the most frequent pair wins; among equally frequent
// pairs, the one with the smaller left id, then the smaller right id. Ids
// are deterministic (bytes by value, merges by creation), so training is
// deterministic whatever the number of workers. When a merge yields bytes
// that are already a token, the existing id is reused, so the merge list
// can be longer than VocabSize()-262 (Hugging Face does the same).
//
// # Encoding
//
// Each pre-token is merged by rank (the leftmost pair of lowest rank
// first), through a bounded per-goroutine cache of pre-token → ids;
// pre-tokens over 64 bytes use a heap over a linked list, O(n log n).
// Inputs of 64 KiB or more are cut after newlines that are followed by
// non-whitespace (no rule can reach across those) and encoded on all
// cores; EncodeBatch spreads texts over all cores.
//
// # File format
//
// Save writes a Hugging Face tokenizer.json: model BPE with the vocab in
// the GPT-2 byte-level alphabet (printable bytes as themselves, the
// others from U+0100, so space is "Ġ") and merges as "left right"
// strings; added_tokens holds the six specials with special: true (they
// are also in the vocab at their ids); pre_tokenizer is a Sequence of
// Split(Pattern, Isolated) and ByteLevel(add_prefix_space false,
// use_regex false); decoder ByteLevel; no normalizer or post-processor.
// Load reads these files and other Hugging Face byte-level BPE files with
// the same pipeline, any ids and either spelling of merges.
//
// Errors start with "tokenizer:" and name the file or field at fault.
//
// BUG(tinyseek): Hugging Face tokenizers match added tokens in raw text,
// so a literal "<|endoftext|>" encodes to id 256 there but to ordinary
// tokens here, on purpose. Load rejects non-special added tokens, other
// pre-tokenizers (such as GPT-2's regex) and normalizers rather than
// encode differently from Hugging Face.
package tokenizer
