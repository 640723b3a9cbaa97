//! BERT uncased tokenizer: special tokens matched in the raw text, the BERT normalizer
//! (clean control characters, pad CJK ideographs, NFD + drop non-spacing marks, lowercase),
//! the BERT pre-tokenizer (split on whitespace, isolate punctuation) and greedy
//! longest-match-first WordPiece. Mirrors Hugging Face `tokenizers` step by step, with the
//! same Unicode tables (see `unicode_tables.rs`), so the ids match the reference exactly.

use std::collections::HashMap;

use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

use crate::unicode_tables::{MARK_NONSPACING, OTHER, PUNCTUATION};

#[derive(Debug)]
pub(crate) struct WordPiece {
    vocab: HashMap<String, u32>,
    /// Special tokens matched literally in the raw text (longest first), as `tokenizers`
    /// does for added tokens with `normalized: false`.
    specials: Vec<(String, u32)>,
    unk: u32,
    pub(crate) cls: u32,
    pub(crate) sep: u32,
    prefix: String,
    max_chars_per_word: usize,
    lowercase: bool,
    strip_accents: bool,
    clean_text: bool,
    chinese_chars: bool,
}

/// The parts of `tokenizer.json` this tokenizer understands.
#[derive(Deserialize)]
pub(crate) struct TokenizerJson {
    #[serde(default)]
    added_tokens: Vec<AddedToken>,
    normalizer: Option<NormalizerJson>,
    pre_tokenizer: Option<TypeOnly>,
    model: ModelJson,
}

#[derive(Deserialize)]
struct AddedToken {
    id: u32,
    content: String,
    #[serde(default)]
    normalized: bool,
}

#[derive(Deserialize)]
struct TypeOnly {
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct NormalizerJson {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default = "yes")]
    clean_text: bool,
    #[serde(default = "yes")]
    handle_chinese_chars: bool,
    strip_accents: Option<bool>,
    #[serde(default = "yes")]
    lowercase: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct ModelJson {
    #[serde(rename = "type")]
    kind: String,
    vocab: HashMap<String, u32>,
    unk_token: String,
    #[serde(default = "default_prefix")]
    continuing_subword_prefix: String,
    #[serde(default = "default_max_chars")]
    max_input_chars_per_word: usize,
}

fn default_prefix() -> String {
    "##".into()
}

fn default_max_chars() -> usize {
    100
}

impl WordPiece {
    /// Builds the tokenizer from a parsed `tokenizer.json`; the error is a sentence naming
    /// what is unsupported or missing.
    pub(crate) fn from_json(json: TokenizerJson) -> Result<WordPiece, String> {
        if json.model.kind != "WordPiece" {
            return Err(format!(
                "model.type is {:?}, expected \"WordPiece\"",
                json.model.kind
            ));
        }
        let norm = json
            .normalizer
            .ok_or("no normalizer (expected BertNormalizer)")?;
        if norm.kind != "BertNormalizer" {
            return Err(format!(
                "normalizer.type is {:?}, expected \"BertNormalizer\"",
                norm.kind
            ));
        }
        match json.pre_tokenizer {
            Some(p) if p.kind == "BertPreTokenizer" => {}
            Some(p) => {
                return Err(format!(
                    "pre_tokenizer.type is {:?}, expected \"BertPreTokenizer\"",
                    p.kind
                ))
            }
            None => return Err("no pre_tokenizer (expected BertPreTokenizer)".into()),
        }
        let vocab = json.model.vocab;
        let id = |t: &str| {
            vocab
                .get(t)
                .copied()
                .ok_or_else(|| format!("token {t:?} is not in model.vocab"))
        };
        let unk = id(&json.model.unk_token)?;
        let cls = id("[CLS]")?;
        let sep = id("[SEP]")?;
        if let Some(bad) = vocab.values().find(|&&v| v as usize >= vocab.len()) {
            return Err(format!(
                "model.vocab has id {bad} but only {} entries",
                vocab.len()
            ));
        }
        let mut specials: Vec<(String, u32)> = json
            .added_tokens
            .into_iter()
            .filter(|t| !t.normalized && !t.content.is_empty())
            .map(|t| (t.content, t.id))
            .collect();
        specials.sort_by_key(|t| std::cmp::Reverse(t.0.len()));
        Ok(WordPiece {
            vocab,
            specials,
            unk,
            cls,
            sep,
            prefix: json.model.continuing_subword_prefix,
            max_chars_per_word: json.model.max_input_chars_per_word,
            lowercase: norm.lowercase,
            strip_accents: norm.strip_accents.unwrap_or(norm.lowercase),
            clean_text: norm.clean_text,
            chinese_chars: norm.handle_chinese_chars,
        })
    }

    pub(crate) fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// Token ids of `text` with `[CLS]` and `[SEP]`, at most `max_tokens` in all (the text's
    /// tokens are cut at the end, as `tokenizers`' truncation does). `max_tokens` ≥ 2.
    pub(crate) fn encode(&self, text: &str, max_tokens: usize, out: &mut Vec<u32>) {
        out.clear();
        out.push(self.cls);
        let limit = max_tokens.max(2) - 1;
        let mut scratch = Scratch::default();
        let mut rest = text;
        while !rest.is_empty() && out.len() < limit {
            match self.next_special(rest) {
                Some((at, len, id)) => {
                    self.encode_plain(&rest[..at], limit, out, &mut scratch);
                    if out.len() < limit {
                        out.push(id);
                    }
                    rest = &rest[at + len..];
                }
                None => {
                    self.encode_plain(rest, limit, out, &mut scratch);
                    rest = "";
                }
            }
        }
        out.push(self.sep);
    }

    /// The leftmost special token in `text` (longest at that position): (byte offset, byte
    /// length, id).
    fn next_special(&self, text: &str) -> Option<(usize, usize, u32)> {
        if self.specials.is_empty() {
            return None;
        }
        let mut best: Option<(usize, usize, u32)> = None;
        for (tok, id) in &self.specials {
            if let Some(at) = text.find(tok.as_str()) {
                // `specials` is longest first, so on a tie the earlier (longer) one stays.
                if best.is_none_or(|(b, _, _)| at < b) {
                    best = Some((at, tok.len(), *id));
                }
            }
        }
        best
    }

    fn encode_plain(&self, text: &str, limit: usize, out: &mut Vec<u32>, s: &mut Scratch) {
        self.normalize(text, &mut s.normalized);
        for word in s.normalized.split(char::is_whitespace) {
            // Isolate punctuation: every punctuation char is a word of its own.
            let mut start = 0;
            for (i, c) in word.char_indices() {
                if is_punctuation(c) {
                    if start < i {
                        self.wordpiece(&word[start..i], out, &mut s.piece);
                    }
                    self.wordpiece(&word[i..i + c.len_utf8()], out, &mut s.piece);
                    start = i + c.len_utf8();
                }
                if out.len() >= limit {
                    out.truncate(limit);
                    return;
                }
            }
            if start < word.len() {
                self.wordpiece(&word[start..], out, &mut s.piece);
            }
            if out.len() >= limit {
                out.truncate(limit);
                return;
            }
        }
    }

    /// BertNormalizer, in `tokenizers`' order: clean, CJK, strip accents, lowercase.
    fn normalize(&self, text: &str, out: &mut String) {
        out.clear();
        let cleaned = text.chars().filter_map(|c| {
            if !self.clean_text {
                Some(c)
            } else if c == '\0' || c == '\u{fffd}' || is_control(c) {
                None
            } else if is_whitespace(c) {
                Some(' ')
            } else {
                Some(c)
            }
        });
        let mut push = |c: char| {
            if self.lowercase {
                out.extend(c.to_lowercase());
            } else {
                out.push(c);
            }
        };
        let mut emit = |c: char| {
            if self.strip_accents {
                c.nfd()
                    .filter(|&m| !in_table(m, MARK_NONSPACING))
                    .for_each(&mut push);
            } else {
                push(c);
            }
        };
        for c in cleaned {
            if self.chinese_chars && is_chinese_char(c) {
                emit(' ');
                emit(c);
                emit(' ');
            } else {
                emit(c);
            }
        }
    }

    /// Greedy longest-match-first WordPiece of one pre-tokenized word.
    fn wordpiece(&self, word: &str, out: &mut Vec<u32>, piece: &mut String) {
        if word.chars().count() > self.max_chars_per_word {
            out.push(self.unk);
            return;
        }
        let first = out.len();
        let mut start = 0;
        while start < word.len() {
            let mut end = word.len();
            let mut found = None;
            while start < end {
                piece.clear();
                if start > 0 {
                    piece.push_str(&self.prefix);
                }
                piece.push_str(&word[start..end]);
                if let Some(&id) = self.vocab.get(piece.as_str()) {
                    found = Some(id);
                    break;
                }
                end -= word[..end].chars().next_back().map_or(1, char::len_utf8);
            }
            match found {
                Some(id) => {
                    out.push(id);
                    start = end;
                }
                None => {
                    out.truncate(first);
                    out.push(self.unk);
                    return;
                }
            }
        }
    }
}

#[derive(Default)]
struct Scratch {
    normalized: String,
    piece: String,
}

fn in_table(c: char, table: &[(u32, u32)]) -> bool {
    let c = c as u32;
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

fn is_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || c.is_whitespace()
}

fn is_control(c: char) -> bool {
    !matches!(c, '\t' | '\n' | '\r') && in_table(c, OTHER)
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || in_table(c, PUNCTUATION)
}

fn is_chinese_char(c: char) -> bool {
    matches!(
        c as u32,
        0x4E00..=0x9FFF
            | 0x3400..=0x4DBF
            | 0x20000..=0x2A6DF
            | 0x2A700..=0x2B73F
            | 0x2B740..=0x2B81F
            | 0x2B920..=0x2CEAF
            | 0xF900..=0xFAFF
            | 0x2F800..=0x2FA1F
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-written vocabulary: ids are the positions in this list.
    fn tiny() -> WordPiece {
        let tokens = [
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "hello", ",",
            "!", "world", "cafe", "the", "a", "##b", "机", "器", ".", "##s", "-", "resume",
        ];
        let vocab = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| format!("\"{t}\": {i}"))
            .collect::<Vec<_>>();
        let json = format!(
            r###"{{"added_tokens": [{{"id": 4, "content": "[MASK]", "normalized": false}},
                                  {{"id": 2, "content": "[CLS]", "normalized": false}}],
                "normalizer": {{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                               "strip_accents": null, "lowercase": true}},
                "pre_tokenizer": {{"type": "BertPreTokenizer"}},
                "model": {{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                          "max_input_chars_per_word": 9, "vocab": {{{}}}}}}}"###,
            vocab.join(",")
        );
        WordPiece::from_json(serde_json::from_str(&json).unwrap()).unwrap()
    }

    fn ids(t: &WordPiece, text: &str, max: usize) -> Vec<u32> {
        let mut out = Vec::new();
        t.encode(text, max, &mut out);
        out
    }

    #[test]
    fn wordpiece_is_greedy_longest_match_first_with_continuations() {
        let t = tiny();
        // "unaffab": un ##aff, then neither ##ab nor ##a exists, so the whole word is [UNK].
        assert_eq!(ids(&t, "unaffable", 128), [2, 5, 6, 7, 3]);
        assert_eq!(ids(&t, "unaffab", 128), [2, 1, 3]);
        // "ab": a ##b
        assert_eq!(ids(&t, "ab", 128), [2, 14, 15, 3]);
    }

    #[test]
    fn normalizer_lowercases_strips_accents_and_isolates_punctuation() {
        let t = tiny();
        assert_eq!(ids(&t, "Hello, WORLD!", 128), [2, 8, 9, 11, 10, 3]);
        assert_eq!(ids(&t, "Café RÉSUMÉ", 128), [2, 12, 21, 3]);
        // Control chars vanish, tabs and newlines split words, a soft hyphen (Cf) vanishes.
        assert_eq!(
            ids(&t, "the\u{7}\tcafe\nre\u{ad}sume", 128),
            [2, 13, 12, 21, 3]
        );
        // Unicode punctuation (en dash U+2013, Pd) is isolated; '-' is ASCII punctuation.
        assert_eq!(ids(&t, "the\u{2013}a-a", 128), [2, 13, 1, 14, 20, 14, 3]);
    }

    #[test]
    fn cjk_ideographs_are_words_of_their_own() {
        let t = tiny();
        assert_eq!(ids(&t, "机器.", 128), [2, 16, 17, 18, 3]);
    }

    #[test]
    fn long_words_are_unknown_and_special_tokens_match_raw_text() {
        let t = tiny();
        // max_input_chars_per_word is 9 here: 9 chars are split, 10 are [UNK] outright.
        assert_eq!(ids(&t, "unaffable", 128), [2, 5, 6, 7, 3]);
        assert_eq!(ids(&t, "unaffableb", 128), [2, 1, 3]);
        assert_eq!(ids(&t, "the [MASK] a[CLS]", 128), [2, 13, 4, 14, 2, 3]);
        // Lowercase "[mask]" is not the special token: it is '[' 'mask' ']' -> [UNK] [UNK] [UNK].
        assert_eq!(ids(&t, "[mask]", 128), [2, 1, 1, 1, 3]);
    }

    #[test]
    fn truncation_keeps_cls_and_sep_within_max_tokens() {
        let t = tiny();
        assert_eq!(ids(&t, "the a the a the", 4), [2, 13, 14, 3]);
        assert_eq!(ids(&t, "unaffable the", 4), [2, 5, 6, 3]);
        assert_eq!(ids(&t, "", 128), [2, 3]);
        assert_eq!(ids(&t, "   \t ", 128), [2, 3]);
    }
}
