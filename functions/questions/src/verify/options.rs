//! The options of a multiple-choice candidate: the key found in its
//! passage, wrong answers of the key's kind that the lecture does not make
//! correct too, and no surface cue (the stem naming the key, a negation or a
//! length that marks it, the odd one out).

use std::collections::HashSet;

use super::{clip, cues, is_negation, Lecture, Settings};
use crate::analysis::semantic::cos;
use crate::candidate::Candidate;
use crate::lexicon::{self, content_stems, coverage, stem, words};

/// The shape of an option, for "options of one kind".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Number,
    Name,
    Phrase,
    Sentence,
    Code,
}

fn shape(o: &str) -> Shape {
    let ws = words(o);
    if ws.iter().any(|w| lexicon::is_number(w)) && ws.len() <= 4 {
        return Shape::Number;
    }
    if o.contains(['\\', '{', '}', '_', '/', '=', '(', '<']) || o.trim_start().starts_with(['.', '-', '%', '#', '$']) && ws.len() <= 2 {
        return Shape::Code;
    }
    if ws.len() >= 7 {
        return Shape::Sentence;
    }
    let tokens: Vec<&str> = o.split_whitespace().collect();
    let content: Vec<&&str> = tokens.iter().filter(|t| !lexicon::is_stopword(&t.to_lowercase())).collect();
    if !content.is_empty() && content.iter().all(|t| t.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())) {
        return Shape::Name;
    }
    Shape::Phrase
}

/// Options of a multiple-choice candidate: returns a score bonus, keeps the
/// best distractors.
pub(super) fn options_ok(c: &mut Candidate, lecture: &Lecture, settings: &Settings, passage_words: &[String]) -> Result<f64, (String, bool)> {
    let need = settings.n_options.saturating_sub(1);
    let key = c.answer.trim().trim_end_matches('.').to_string();
    if key.is_empty() {
        return Err(("no key".into(), false));
    }
    let key_norm = lexicon::norm_option(&key);
    if lexicon::FORM_ANSWERS.contains(&key_norm.as_str()) {
        return Err((format!("the key is \"{key}\", which answers by the exam's form"), false));
    }
    let key_stems: Vec<String> = words(&key).iter().map(|w| stem(w)).collect();
    let key_content = content_stems(&key);
    if key_stems.len() > 5 && matches!(c.form.as_str(), "question" | "cloze") {
        return Err((format!("the key has {} words: a question asks for a term, a name or a number", key_stems.len()), false));
    }
    // The key is found in its passage (as a whole, or every content word of it).
    let passage_all: Vec<String> = words(&c.grounding.passage).iter().map(|w| stem(w)).collect();
    let in_passage = lexicon::contains_seq(&passage_all, &key_stems);
    let passage_set: HashSet<String> = passage_words.iter().cloned().collect();
    if !in_passage && !(key_content.len() >= 1 && coverage(&key_content, &passage_set) >= 0.999) {
        return Err((format!("the key \"{key}\" is not in its passage"), false));
    }
    // The stem does not give the key away.
    let stem_words: HashSet<String> = words(&c.question).iter().map(|w| stem(w)).collect();
    let statement_stems: Vec<String> = words(&c.statement).iter().map(|w| stem(w)).collect();

    let key_shape = shape(&key);
    let key_vec = lecture.embed.as_ref().and_then(|e| e.embed(&[key.as_str()]).into_iter().next());
    let mut kept: Vec<(String, f64)> = Vec::new();
    let mut dropped: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::from([key_norm.clone()]);
    for d in &c.distractors {
        let d = d.trim().trim_end_matches('.').to_string();
        let dn = lexicon::norm_option(&d);
        if dn.is_empty() || !seen.insert(dn.clone()) {
            continue;
        }
        let reason = distractor_problem(&d, &dn, &key, &key_norm, key_shape, &key_stems, c, lecture, settings, &statement_stems);
        if let Some(r) = reason {
            dropped.push(format!("{d}: {r}"));
            continue;
        }
        // Closer in meaning to the key (but no synonym) is better; so is a similar length.
        let mut q = 1.0;
        if let (Some(kv), Some(e)) = (&key_vec, lecture.embed.as_ref()) {
            if let Some(dv) = e.embed(&[d.as_str()]).into_iter().next() {
                let sim = cos(kv, &dv);
                if sim >= settings.synonym_cos {
                    dropped.push(format!("{d}: a near-synonym of the key"));
                    continue;
                }
                q += sim as f64;
            }
        }
        let (lk, ld) = (key.chars().count() as f64, d.chars().count() as f64);
        q -= (lk.max(ld) / lk.min(ld).max(1.0) - 1.0).min(2.0) * 0.3;
        kept.push((d, q));
    }
    if kept.len() < need {
        return Err((
            format!(
                "{} good distractors, {need} needed{}",
                kept.len(),
                if dropped.is_empty() { String::new() } else { format!(" (dropped: {})", dropped.join("; ")) }
            ),
            false,
        ));
    }
    kept.sort_by(|a, b| b.1.total_cmp(&a.1));
    // The best wrong answers that leave the key no surface cue (the odd
    // one out, the stem spelling it).
    let mut cue = None;
    let choice = combinations(kept.len(), need).into_iter().find(|ix| {
        let ds: Vec<String> = ix.iter().map(|&i| kept[i].0.clone()).collect();
        match cues::options_cue(&key, &ds, &c.question) {
            None => true,
            Some(why) => {
                cue.get_or_insert(why);
                false
            }
        }
    });
    let Some(choice) = choice else {
        return Err((cue.unwrap_or_else(|| "the options give the key away".into()), false));
    };
    let kept: Vec<(String, f64)> = choice.into_iter().map(|i| kept[i].clone()).collect();
    let bonus = kept.iter().map(|(_, q)| q).sum::<f64>() / need.max(1) as f64 * 0.1;
    // The chosen distractors are the candidate's from here on, also when a
    // check below refuses it (a mendable candidate keeps them).
    c.distractors = kept.into_iter().map(|(d, _)| d).collect();
    c.answer = key.clone();
    let kept = &c.distractors;
    // The key's words in the stem, unless every option shares them.
    let shared: HashSet<String> = key_content
        .iter()
        .filter(|k| kept.iter().all(|d| content_stems(d).contains(k)))
        .cloned()
        .collect();
    if let Some(w) = key_content.iter().find(|k| stem_words.contains(*k) && !shared.contains(*k)) {
        return Err((format!("the stem gives the key away (\"{w}\")"), true));
    }
    // A negation in some options but not in the others marks them.
    let negated = |o: &str| words(o).iter().any(|w| is_negation(w));
    if kept.iter().any(|d| negated(d) != negated(&key)) {
        return Err(("a negation in some options and not in others gives the key away".into(), true));
    }
    // The key must not stand out by its length.
    let longest_other = kept.iter().map(|d| d.chars().count()).max().unwrap_or(0);
    let lk = key.chars().count();
    if lk > 12 && lk as f64 > 1.7 * longest_other as f64 {
        return Err(("the key is much longer than every distractor".into(), true));
    }
    let (kw, dw) = (words(&key).len(), kept.iter().map(|d| words(d).len()).max().unwrap_or(0));
    if kw >= 4 && kw > 2 * dw {
        return Err(("the key has many more words than every distractor".into(), true));
    }
    // A/an before a blank must fit every option.
    if let Some(article) = article_before_blank(&c.question) {
        let fits = |o: &str| starts_with_vowel_sound(o) == (article == "an");
        if fits(&key) != kept.iter().all(|d| fits(d)) || !fits(&key) {
            return Err((format!("\"{article}\" before the blank fits only some options"), true));
        }
    }
    Ok(bonus)
}

/// The `k`-subsets of `0..n` as sorted index lists, in lexicographic order
/// (with the list sorted best first, the best subsets come first).
fn combinations(n: usize, k: usize) -> Vec<Vec<usize>> {
    if k > n {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut ix: Vec<usize> = (0..k).collect();
    loop {
        out.push(ix.clone());
        let Some(i) = (0..k).rev().find(|&i| ix[i] < n - k + i) else { return out };
        ix[i] += 1;
        for j in i + 1..k {
            ix[j] = ix[j - 1] + 1;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn distractor_problem(
    d: &str,
    dn: &str,
    key: &str,
    key_norm: &str,
    key_shape: Shape,
    key_stems: &[String],
    c: &Candidate,
    lecture: &Lecture,
    settings: &Settings,
    statement_stems: &[String],
) -> Option<String> {
    if lexicon::FORM_ANSWERS.contains(&dn) || dn.contains("of the above") {
        return Some("answers by the exam's form".into());
    }
    let d_stems: Vec<String> = words(d).iter().map(|w| stem(w)).collect();
    if d_stems == key_stems {
        return Some("the key in other words".into());
    }
    // A part of the key, or the key a part of it (an instance, a variant).
    let d_content = content_stems(d);
    let key_content = content_stems(key);
    if lexicon::contains_seq(&d_stems, key_stems) || lexicon::contains_seq(key_stems, &d_stems) {
        return Some("contains the key, or is part of it".into());
    }
    if !d_content.is_empty() && !key_content.is_empty() {
        let ds: HashSet<&String> = d_content.iter().collect();
        let ks: HashSet<&String> = key_content.iter().collect();
        if ds == ks {
            return Some("the key's words reordered".into());
        }
    }
    if d.chars().count() > 3 * key.chars().count().max(4) + 10 || words(d).len() > 16 {
        return Some("far longer than the key".into());
    }
    // Numbers go with numbers, code with code or names; words with words.
    let ds = shape(d);
    let compatible = match (ds, key_shape) {
        (Shape::Number, k) | (k, Shape::Number) => k == Shape::Number,
        (Shape::Code, k) | (k, Shape::Code) => matches!(k, Shape::Code | Shape::Name),
        _ => true,
    };
    if !compatible {
        return Some(format!("not of the key's kind ({ds:?} for a {key_shape:?})"));
    }
    // Also correct: the statement with this option in the key's place is what the lecture says.
    let swapped: Vec<String> = if lexicon::contains_seq(statement_stems, key_stems) {
        let at = statement_stems.windows(key_stems.len()).position(|w| w == key_stems).unwrap_or(0);
        let mut v = statement_stems[..at].to_vec();
        v.extend(d_stems.iter().cloned());
        v.extend(statement_stems[at + key_stems.len()..].iter().cloned());
        v.into_iter().filter(|w| !lexicon::is_stopword(w)).collect()
    } else {
        let mut v = content_stems(&c.statement);
        v.extend(d_content.iter().cloned());
        v
    };
    if !d_content.is_empty() {
        if let Some(s) = lecture.states(&swapped, &d_content, settings.also_true) {
            return Some(format!("may also be correct: \"{}\"", clip(s)));
        }
    }
    let _ = key_norm;
    None
}

fn article_before_blank(q: &str) -> Option<&'static str> {
    let lower = q.to_lowercase();
    let i = lower.find("_____")?;
    let before = lower[..i].trim_end();
    if before.ends_with(" an") || before == "an" {
        Some("an")
    } else if before.ends_with(" a") || before == "a" {
        Some("a")
    } else {
        None
    }
}

fn starts_with_vowel_sound(o: &str) -> bool {
    let w = o.trim().to_lowercase();
    let first = w.chars().next().unwrap_or('x');
    if w.starts_with("uni") || w.starts_with("use") || w.starts_with("one") || w.starts_with("eu") {
        return false;
    }
    if w.starts_with("hour") || w.starts_with("honest") {
        return true;
    }
    // Acronyms read letter by letter: an SQL, an R, a URL.
    let token = o.split_whitespace().next().unwrap_or("");
    if token.len() <= 5 && token.len() > 0 && token.chars().all(|c| c.is_ascii_uppercase()) {
        return "AEFHILMNORSX".contains(token.chars().next().unwrap_or('B'));
    }
    "aeiou".contains(first)
}
