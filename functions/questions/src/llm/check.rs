//! The model takes its own questions, with only the passage in front of it.
//!
//! A small model writes wrong keys and distractors that are as right as the
//! key ("downloads files" next to "retrieves files"), and word overlap or
//! sentence embeddings do not see it. So, after writing a passage's facts,
//! the source asks the model a second time, as a student holding only that
//! passage: each fact's question with its key and every wrong answer as
//! lettered options (the key at a place decided by a hash of the question),
//! "which option does the passage show to be correct?". A fact whose key is
//! not the letter chosen is dropped: its key is wrong, or the passage does
//! not make it the answer, or a wrong answer is as good as the key. (Asked
//! for every correct letter, the 1.5B model named the key's neighbour in
//! half of its answers, so one letter is asked; a server that answers with
//! several still has each wrong answer it names dropped from the options and
//! from the false statements made with it.)
//!
//! The request starts like the one that wrote the facts (same system prompt,
//! same passage header), so a server that caches prompt prefixes reads only
//! the questions.
//!
//! Off unless asked for (`Settings::check`, exam-gen's `LLM_CHECK`): on ten
//! lectures, labelled strictly and blind (2026-12-07), it dropped 92 of 269
//! facts and cut the questions labelled wrong from 29 to 20, but the exams
//! were shorter (138 questions of 200 asked instead of 150) and held fewer
//! usable as written (11 instead of 15).

use serde_json::Value;

use super::prompt::{chat_body, json_in, passage_header};
use super::{ChatError, Item};
use crate::analysis::text::fnv;
use crate::passages::Passage;

/// Most options shown per question (the key and up to five wrong answers).
pub const MAX_OPTIONS: usize = 6;

const LETTERS: [&str; MAX_OPTIONS] = ["A", "B", "C", "D", "E", "F"];

/// What the check did to one passage's facts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Facts whose key the model did not choose.
    pub refused: usize,
    /// Wrong answers the model chose as correct too.
    pub dropped: usize,
}

/// The options of `item` in the order shown: indices into `[answer,
/// distractors…]`, the key (index 0) at a place decided by the question.
pub fn shown(item: &Item) -> Vec<usize> {
    let n = (1 + item.distractors.len()).min(MAX_OPTIONS);
    let key_at = (fnv(item.asked().as_bytes()) % n as u64) as usize;
    let mut order: Vec<usize> = (1..n).collect();
    order.insert(key_at, 0);
    order
}

/// The check's chat-completions body (JSON text) for `items` of `passage`.
pub fn request(model: &str, title: &str, passage: &Passage, items: &[Item]) -> String {
    let mut user = passage_header(title, passage);
    user.push_str("Check these questions: for each, give the letter of the option that this passage shows to be correct.\n");
    let mut properties = Vec::new();
    for (i, item) in items.iter().enumerate() {
        user.push_str(&format!("\n{}. {}\n", i + 1, item.asked()));
        let order = shown(item);
        for (p, &o) in order.iter().enumerate() {
            let text = if o == 0 { &item.answer } else { &item.distractors[o - 1] };
            user.push_str(&format!("{}) {}\n", LETTERS[p], text));
        }
        let letters: Vec<&str> = LETTERS[..order.len()].to_vec();
        properties.push(format!(
            r#""{}":{{"type":"string","enum":{}}}"#,
            i + 1,
            serde_json::to_string(&letters).expect("letters are JSON"),
        ));
    }
    let required: Vec<String> = (1..=items.len()).map(|i| i.to_string()).collect();
    // Keys in the order asked (serde_json's maps would sort "10" before "2").
    let schema = format!(
        r#"{{"type":"object","properties":{{{}}},"required":{}}}"#,
        properties.join(","),
        serde_json::to_string(&required).expect("keys are JSON")
    );
    chat_body(model, &user, 20 + items.len() * 16, "exam_check", &schema)
}

/// The letters chosen for each of `items`, as indices into `[answer,
/// distractors…]`. An item the answer leaves out, or answers with no known
/// letter, gets `None` (unchecked).
pub fn parse(content: &str, items: &[Item]) -> Result<Vec<Option<Vec<usize>>>, ChatError> {
    let raw = json_in(content).ok_or_else(|| ChatError::Garbage("no JSON in the check".into()))?;
    let v: Value = serde_json::from_str(raw).map_err(|e| ChatError::Garbage(format!("invalid JSON in the check: {e}")))?;
    if !v.is_object() {
        return Err(ChatError::Garbage("the check is not an object".into()));
    }
    let picks: Vec<Option<Vec<usize>>> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let order = shown(item);
            let chosen: Vec<usize> = match &v[(i + 1).to_string()] {
                Value::Array(a) => a.iter().filter_map(Value::as_str).filter_map(|l| letter(l, &order)).collect(),
                Value::String(l) => letter(l, &order).into_iter().collect(),
                _ => Vec::new(),
            };
            (!chosen.is_empty()).then_some(chosen)
        })
        .collect();
    if picks.iter().all(Option::is_none) {
        return Err(ChatError::Garbage("the check answers no question".into()));
    }
    Ok(picks)
}

fn letter(l: &str, order: &[usize]) -> Option<usize> {
    let l = l.trim().trim_end_matches([')', '.']).to_ascii_uppercase();
    LETTERS.iter().position(|x| *x == l).and_then(|p| order.get(p).copied())
}

/// `items` after the check: a fact whose key was not chosen goes; a wrong
/// answer chosen as correct goes. Unchecked items stay as they are.
pub fn apply(items: Vec<Item>, picks: &[Option<Vec<usize>>]) -> (Vec<Item>, Outcome) {
    let mut out = Outcome::default();
    let kept = items
        .into_iter()
        .zip(picks.iter().chain(std::iter::repeat(&None)))
        .filter_map(|(mut item, pick)| {
            let Some(chosen) = pick else { return Some(item) };
            if !chosen.contains(&0) {
                out.refused += 1;
                return None;
            }
            let before = item.distractors.len();
            item.distractors = item
                .distractors
                .into_iter()
                .enumerate()
                .filter(|(k, _)| !chosen.contains(&(k + 1)))
                .map(|(_, d)| d)
                .collect();
            out.dropped += before - item.distractors.len();
            Some(item)
        })
        .collect();
    (kept, out)
}

#[cfg(test)]
mod tests {
    use super::super::prompt::SYSTEM;
    use super::*;
    use serde_json::json;

    fn item(q: &str, a: &str, ds: &[&str]) -> Item {
        Item { statement: format!("{a} is it."), question: q.into(), answer: a.into(), distractors: ds.iter().map(|d| d.to_string()).collect() }
    }

    fn passage() -> Passage {
        Passage {
            page: 2,
            title: "Tools".into(),
            sentences: vec![],
            texts: vec![],
            text: "Wget retrieves files over HTTP. Lintian checks Debian packages.".into(),
            words: 9,
            position: 0.1,
            score: 1.0,
        }
    }

    #[test]
    fn the_check_shares_the_writing_prompt_and_lists_the_options_in_order() {
        let items = [item("What is Wget used for?", "retrieves files", &["uploads files", "downloads files", "deletes files"]), item("Which tool checks packages?", "Lintian", &["Piuparts", "Debdiff"])];
        let text = request("qwen", "Packaging", &passage(), &items);
        let body: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(body["messages"][0]["content"], SYSTEM);
        let user = body["messages"][1]["content"].as_str().unwrap();
        let writing: Value = serde_json::from_str(&super::super::prompt::request("qwen", "Packaging", &passage(), 3, 4)).unwrap();
        let header = passage_header("Packaging", &passage());
        assert!(user.starts_with(&header) && writing["messages"][1]["content"].as_str().unwrap().starts_with(&header), "{user}");
        // Every option once, the key where `shown` puts it.
        let order = shown(&items[0]);
        assert_eq!(order.len(), 4);
        let key_letter = LETTERS[order.iter().position(|&o| o == 0).unwrap()];
        assert!(user.contains(&format!("{key_letter}) retrieves files")), "{user}");
        assert!(user.contains("1. What is Wget used for?") && user.contains("2. Which tool checks packages?"));
        // The schema's keys come in the order asked.
        assert!(text.find("\"1\":").unwrap() < text.find("\"2\":").unwrap());
        assert_eq!(body["response_format"]["json_schema"]["schema"]["properties"]["2"]["enum"], json!(["A", "B", "C"]));
    }

    #[test]
    fn a_key_not_chosen_drops_the_fact_and_a_chosen_distractor_drops_the_distractor() {
        let items = vec![
            item("What is Wget used for?", "retrieves files", &["uploads files", "downloads files", "deletes files"]),
            item("Which tool checks packages?", "Lintian", &["Piuparts", "Debdiff"]),
            item("Which protocol does Wget use?", "HTTP", &["SMTP", "IMAP"]),
        ];
        let letter_of = |it: &Item, o: usize| LETTERS[shown(it).iter().position(|&x| x == o).unwrap()];
        let answer = json!({
            "1": [letter_of(&items[0], 0), letter_of(&items[0], 2)],
            "2": [letter_of(&items[1], 1)],
        })
        .to_string();
        let picks = parse(&format!("```json\n{answer}\n```"), &items).unwrap();
        assert_eq!(picks[2], None, "left out: unchecked");
        let (kept, out) = apply(items, &picks);
        assert_eq!(out, Outcome { refused: 1, dropped: 1 });
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].distractors, ["uploads files", "deletes files"]);
        assert_eq!(kept[1].answer, "HTTP", "the unchecked fact stays");
    }

    #[test]
    fn garbage_is_an_error() {
        let items = vec![item("Which tool checks packages?", "Lintian", &["Piuparts"])];
        assert!(parse("no", &items).is_err());
        assert!(parse("[\"A\"]", &items).is_err());
        assert!(parse("{\"1\": [\"Z\"]}", &items).is_err());
        assert!(parse("{\"1\": \"a)\"}", &items).unwrap()[0].is_some());
    }
}
