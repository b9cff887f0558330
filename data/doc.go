// Package data turns raw text into what the trainer reads: it reads
// corpora, cleans and deduplicates them, trains the tokenizer (through
// package data/tokenizer), writes token shards, samples batches from
// them, and generates the built-in corpus and tasks.
//
// # Pipeline
//
// Prepare runs the whole chain: Read (or BuiltinCorpus) → Clean →
// Deduper → spool to disk → tokenizer.Train → split by document →
// EncodeBatch → ShardWriter. Memory stays bounded by a chunk of
// documents plus the deduplication index; the corpus itself is never
// held whole. Outputs are written under OutDir/.tmp-* and renamed into
// OutDir at the end: tokenizer.json, train.bin, val.bin, report.json.
//
// # Reading
//
// Read streams Docs from .txt (one document per file, or per blank-line
// separated paragraph), .jsonl (one object per line, text in a
// configurable field), .parquet (a configurable column), any of those
// gzipped, and folders walked recursively in lexical order. Files with
// NUL bytes in their first 8 KiB are binary and skipped with a warning.
// Bad input is a *ParseError carrying the file and line.
//
// # Cleaning
//
// FilterConfig.Clean applies, in order (the first failing rule drops
// the document and is counted in the report):
//
//	rule           key                        default
//	invalid_utf8   invalid_utf8=repair|drop   repair (U+FFFD)
//	control_chars  max_control_frac           0.01, any NUL drops
//	(boilerplate)  boilerplate=a,b,...        7 phrases; lines removed
//	min_chars      min_chars                  20
//	max_chars      max_chars                  1,000,000
//	alnum_frac     min_alnum_frac             0.6 of non-space chars
//	mean_word_len  min_/max_mean_word_len     2 .. 12
//	dup_lines      max_dup_line_frac          0.3
//	dup_ngrams     dup_ngram_size,            5-grams, 0.2
//	               max_dup_ngram_frac
//
// A threshold of 0 ("off") turns its rule off. The word rules skip texts
// whose letters are mostly Han, Kana, Thai, Lao, Khmer or Myanmar, which
// are written without spaces. The thresholds follow the Gopher quality
// filters (Rae et al. 2021, "Scaling Language Models", appendix A),
// loosened for short documents.
//
// # Deduplication
//
// Exact duplicates are found by SHA-256 of the cleaned text. Near
// duplicates use MinHash (Broder 1997, "On the resemblance and
// containment of documents"): each document becomes the set of its
// character (or word) shingles of the normalised text, and NumPerm
// universal hash functions h(x) = (a·x + b) >> 32 keep their minimum
// over the set; the share of equal minima estimates the Jaccard
// similarity. Locality-sensitive hashing by banding (Indyk and Motwani
// 1998; Leskovec, Rajaraman and Ullman, "Mining of Massive Datasets",
// ch. 3) cuts the signature into Bands bands of Rows values: documents
// sharing any whole band are candidates, verified by estimated Jaccard
// ≥ Threshold. Documents are decided in input order and only kept ones
// are indexed, so the first document of each cluster survives and the
// result is the same for a given seed whatever the number of workers.
// Defaults: 128 permutations, 16 bands × 8 rows, 5-character shingles,
// threshold 0.8.
//
// # Token shards
//
// A shard (train.bin, val.bin) is a 48-byte little-endian header, then
// the tokens, uint16 when the vocabulary fits, uint32 otherwise:
//
//	magic "TSKTOK\x00\x01", version u32 (1), width u32 (2|4),
//	vocab u32, reserved u32, tokens u64, text bytes u64, docs u64
//
// Each document is preceded by <|endoftext|> (id 256). The text-byte
// count gives bits per byte: loss_nats · tokens / (bytes · ln 2).
// OpenShard memory-maps the file and rejects a wrong magic, version,
// width or size. A document goes to val.bin when a SplitMix64 hash of
// (seed, document index) falls below the validation fraction.
//
// # Batches
//
// Sampler.Batch(step, B, T, x, y) draws B windows of T+1 tokens at
// positions chosen by a PCG seeded from (seed, step) only, so a resumed
// run sees the batches of the uninterrupted one. x and y are (B, T),
// row-major; y is x shifted by one token. Shard.EvalBatches walks
// non-overlapping windows in order for validation loss.
//
// # Built-in data
//
// BuiltinWorld is a fixed invented world (countries, capitals, rivers,
// people, pets). BuiltinCorpus(seed) generates about 1 MB of stories,
// gazetteer entries, questions and answers, arithmetic, counting and
// word exercises about it from templates; BuiltinTasks(seed, n) draws
// checkable tasks of the same kinds and CheckAnswer grades replies.
//
// # Errors
//
// Errors start with "data:" and name the file (and line) at fault;
// panics are kept for programmer errors such as a Batch buffer that is
// too small.
package data

// BUG(tinyseek): the near-duplicate index keeps a 4·NumPerm-byte
// signature per kept document in memory (512 B by default), so about
// 2 GB per 4 million kept documents; a corpus beyond that needs a
// disk-backed index.

// BUG(tinyseek): encoding/json replaces invalid UTF-8 inside JSONL
// strings with U+FFFD before the invalid_utf8 rule sees it, so that rule
// only counts .txt and parquet text (StrictUTF8 still catches it).
