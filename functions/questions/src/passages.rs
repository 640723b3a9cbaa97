//! The lecture's passages: runs of consecutive prose sentences and list items
//! under one heading, a few sentences long, ranked by how much of the
//! lecture's vocabulary they carry, and ordered so that reading them in turn
//! covers the lecture from start to end.
//!
//! A passage is what a language model reads to write questions (it needs the
//! sentences around a fact, and the heading that says what they are about);
//! headings, code, tables, references, captions and boilerplate are never in
//! one.

use std::collections::HashSet;

use crate::analysis::prose::Class;
use crate::analysis::terms::Terms;
use crate::analysis::text::Sentence;
use crate::lexicon;

/// Fewest words a passage has (shorter runs join the next one, or are dropped).
pub const MIN_WORDS: usize = 25;
/// Most words a passage has.
pub const MAX_WORDS: usize = 140;

#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    /// 1-based page (slide) of its first sentence.
    pub page: usize,
    /// The heading it stands under (empty when none was found).
    pub title: String,
    /// Indices of its sentences in the lecture's sentence list.
    pub sentences: Vec<usize>,
    /// Those sentences' texts.
    pub texts: Vec<String>,
    /// Its text: the sentences, list items on lines of their own.
    pub text: String,
    pub words: usize,
    /// Where it is, 0.0 (start of the lecture) to 1.0 (end).
    pub position: f64,
    /// How much it is worth asking about (higher first).
    pub score: f64,
}

fn usable(s: &Sentence) -> bool {
    // A citation the PDF printed as "?" (its reference unresolved) leaves
    // a sentence no one can ask about ("Both ? and ? analysed …").
    if has_placeholder(&s.text) {
        return false;
    }
    match s.class {
        Class::Prose | Class::Dependent => true,
        // Slide bullets without a verb still carry the slide's facts.
        Class::Fragment => s.item && s.words() >= 3,
        // A table of commands with what each does ("\textsc{} small caps,
        // used for persons") is what a software or LaTeX course teaches:
        // code with as many plain words as symbols is read too.
        Class::Code | Class::Reference | Class::Table => explained(&s.text),
        _ => false,
    }
}

/// Whether `text` holds a "?" standing for an unresolved citation or
/// reference: a "?" token of its own ("by ?", "(?)", "[?; ?]") anywhere but
/// at the end of a question.
pub fn has_placeholder(text: &str) -> bool {
    let t = text.trim_end();
    let body = t.strip_suffix('?').unwrap_or(t);
    body.split_whitespace().any(|tok| tok.trim_matches(|c: char| "()[],;.:".contains(c)) == "?" || tok.contains("(?") || tok.contains("?)"))
}

/// Whether a code or table line explains itself in words: at least eight
/// words, half of its tokens plain lower-case words.
fn explained(text: &str) -> bool {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let plain = tokens.iter().filter(|t| t.len() > 2 && t.chars().all(|c| c.is_ascii_lowercase() || c == ',' || c == '.')).count();
    plain >= 8 && plain * 2 >= tokens.len()
}

fn title_of(s: &Sentence) -> Option<String> {
    let t = s.text.trim();
    let words = t.split_whitespace().count();
    (s.class == Class::Heading && (1..=12).contains(&words) && t.chars().any(char::is_alphabetic)).then(|| t.to_string())
}

/// The lecture's passages in document order.
pub fn passages(sentences: &[Sentence], terms: &Terms) -> Vec<Passage> {
    let total = sentences.len().max(1);
    let mut out: Vec<Passage> = Vec::new();
    let mut title = String::new();
    let mut cur: Vec<usize> = Vec::new();
    let mut cur_title = String::new();
    let mut words = 0usize;
    let flush = |cur: &mut Vec<usize>, words: &mut usize, title: &str, out: &mut Vec<Passage>| {
        if *words >= MIN_WORDS {
            out.push(make(sentences, terms, std::mem::take(cur), title, total));
        } else if let Some(last) = out.last_mut() {
            // A short tail joins the passage before it when they share a heading.
            if last.title == title && last.words + *words <= MAX_WORDS && !cur.is_empty() {
                let mut idx = std::mem::take(&mut last.sentences);
                idx.append(cur);
                *last = make(sentences, terms, idx, title, total);
            }
        }
        cur.clear();
        *words = 0;
    };
    let mut page = 0usize;
    for (i, s) in sentences.iter().enumerate() {
        if let Some(t) = title_of(s) {
            flush(&mut cur, &mut words, &cur_title, &mut out);
            title = t;
            continue;
        }
        if s.page != page {
            page = s.page;
        }
        if !usable(s) {
            // Code, a table or a reference between two runs ends the run.
            if matches!(s.class, Class::Code | Class::Table | Class::Reference | Class::Caption | Class::Boilerplate) && !cur.is_empty() {
                flush(&mut cur, &mut words, &cur_title, &mut out);
            }
            continue;
        }
        let n = s.words();
        if words + n > MAX_WORDS && !cur.is_empty() {
            flush(&mut cur, &mut words, &cur_title, &mut out);
        }
        if cur.is_empty() {
            cur_title = title.clone();
        }
        cur.push(i);
        words += n;
    }
    flush(&mut cur, &mut words, &cur_title, &mut out);
    out
}

fn make(sentences: &[Sentence], terms: &Terms, idx: Vec<usize>, title: &str, total: usize) -> Passage {
    let mut text = String::new();
    for (k, &i) in idx.iter().enumerate() {
        let s = &sentences[i];
        if k > 0 {
            text.push(if s.item || sentences[idx[k - 1]].item { '\n' } else { ' ' });
        }
        if s.item {
            text.push_str("- ");
        }
        text.push_str(s.text.trim());
    }
    let words: usize = idx.iter().map(|&i| sentences[i].words()).sum();
    // Worth: the lecture's terms it carries (each once), per square root of
    // its length; prose counts more than fragments and dependent sentences.
    let mut seen = HashSet::new();
    let mut weight = 0.0;
    for &i in &idx {
        for sp in terms.spans(&sentences[i]) {
            let t = terms.get(sp.term);
            if seen.insert(sp.term) && !t.kind.is_number() {
                weight += (1.0 + t.freq as f64).ln() + if t.defined_in.is_some() { 1.0 } else { 0.0 };
            }
        }
    }
    let prose = idx.iter().filter(|&&i| sentences[i].class == Class::Prose).count() as f64 / idx.len().max(1) as f64;
    let content = lexicon::content_stems(&text).len() as f64 / words.max(1) as f64;
    // Text about the course rather than its subject: the reader addressed
    // ("you will need …", "we fit …"), slide labels ("Goal: …"), a title such
    // as "Conclusions" or "Practical session".
    let all_words = lexicon::words(&text);
    let personal = all_words.iter().filter(|w| lexicon::PERSONAL.contains(&w.as_str())).count() as f64 / words.max(1) as f64;
    let labels = idx.iter().filter(|&&i| sentences[i].text.contains(':')).count() as f64 / idx.len().max(1) as f64;
    let lower_title = title.to_lowercase();
    let meta_title = lexicon::META_TITLES.iter().any(|m| lower_title.contains(m));
    let score = weight / (words.max(1) as f64).sqrt() * (0.5 + prose) * (0.5 + content) * (1.0 - (personal * 8.0).min(0.8)) * (1.0 - 0.5 * labels)
        * if meta_title { 0.3 } else { 1.0 };
    Passage {
        page: sentences[idx[0]].page,
        title: title.to_string(),
        position: idx[0] as f64 / total as f64,
        texts: idx.iter().map(|&i| sentences[i].text.trim().to_string()).collect(),
        sentences: idx,
        text,
        words,
        score,
    }
}

/// The order in which to read passages: the lecture is cut into `bands`
/// stretches of equal length; the best passage of each stretch comes first,
/// then the second best of each, and so on, so that any prefix of the order
/// covers the lecture. Passages scoring under half the median come last,
/// best first: they are read only when the others did not give enough
/// (a short lecture).
pub fn reading_order(passages: &[Passage], bands: usize) -> Vec<usize> {
    if passages.is_empty() {
        return Vec::new();
    }
    let mut scores: Vec<f64> = passages.iter().map(|p| p.score).collect();
    scores.sort_by(f64::total_cmp);
    let floor = scores[scores.len() / 2] * 0.5;
    let bands = bands.clamp(1, passages.len());
    let mut per_band: Vec<Vec<usize>> = vec![Vec::new(); bands];
    for (i, p) in passages.iter().enumerate() {
        if p.score >= floor {
            let b = ((p.position * bands as f64) as usize).min(bands - 1);
            per_band[b].push(i);
        }
    }
    for b in &mut per_band {
        b.sort_by(|&x, &y| passages[y].score.total_cmp(&passages[x].score).then(x.cmp(&y)));
    }
    let mut order = Vec::new();
    let mut round = 0;
    loop {
        let mut any = false;
        for b in &per_band {
            if let Some(&i) = b.get(round) {
                order.push(i);
                any = true;
            }
        }
        if !any {
            break;
        }
        round += 1;
    }
    let mut weak: Vec<usize> = (0..passages.len()).filter(|&i| passages[i].score < floor).collect();
    weak.sort_by(|&x, &y| passages[y].score.total_cmp(&passages[x].score).then(x.cmp(&y)));
    order.extend(weak);
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::text::sentences;

    fn lecture() -> Vec<String> {
        vec![
            "1 Cells\n\nThe mitochondrion is the organelle that releases energy from glucose. It is found in almost every \
             eukaryotic cell. The nucleus holds the cell's chromosomes and controls which genes are expressed. Ribosomes \
             build proteins from amino acids by reading messenger RNA.\n"
                .to_string(),
            "2 Plants\n\nPhotosynthesis is the process by which plants turn light, water and carbon dioxide into sugar and \
             oxygen. It takes place in the chloroplasts, which contain the green pigment chlorophyll. The light reactions \
             happen in the thylakoid membranes, and the Calvin cycle happens in the stroma.\n"
                .to_string(),
        ]
    }

    #[test]
    fn passages_keep_sentences_together_under_their_heading() {
        let pages = lecture();
        let (s, _) = sentences(&pages);
        let terms = Terms::collect(&s);
        let ps = passages(&s, &terms);
        assert_eq!(ps.len(), 2, "{ps:#?}");
        assert_eq!(ps[0].page, 1);
        assert_eq!(ps[1].page, 2);
        assert!(ps[0].text.starts_with("The mitochondrion") && ps[0].text.contains("It is found"), "{}", ps[0].text);
        assert!(ps[1].text.contains("Calvin cycle"));
        assert!(ps.iter().all(|p| p.words >= MIN_WORDS && p.words <= MAX_WORDS && p.score > 0.0));
        assert!(ps[0].position < ps[1].position);
    }

    #[test]
    fn unresolved_citations_are_seen() {
        assert!(has_placeholder("Both ? and ? made use of the report by ?."));
        assert!(has_placeholder("The earlier studies were ignored (?)."));
        assert!(has_placeholder("As shown by [?; ?], smoking raises the risk."));
        assert!(!has_placeholder("Which package provides the comment environment?"));
        assert!(!has_placeholder("What does ?help show in R?"));
    }

    #[test]
    fn the_reading_order_covers_the_lecture_first() {
        let mk = |position: f64, score: f64| Passage {
            page: 1,
            title: String::new(),
            sentences: vec![],
            texts: vec![],
            text: String::new(),
            words: 30,
            position,
            score,
        };
        // Two bands: the best of the first half, the best of the second, then
        // the rest; a passage under half the median score comes last.
        let ps = vec![mk(0.1, 1.0), mk(0.2, 3.0), mk(0.6, 2.0), mk(0.7, 0.5), mk(0.9, 0.01)];
        assert_eq!(reading_order(&ps, 2), vec![1, 2, 0, 3, 4]);
        let ps = vec![mk(0.1, 0.02), mk(0.2, 3.0), mk(0.6, 2.0), mk(0.7, 0.5), mk(0.9, 0.01)];
        assert_eq!(reading_order(&ps, 2), vec![1, 2, 3, 0, 4]);
    }
}
