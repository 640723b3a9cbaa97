//! The request for one passage's facts, and the reading of the answer.
//!
//! The instructions come first and never change, so a server that caches
//! prompt prefixes (llama.cpp does) reads them once; the passage follows.
//! The answer is constrained by a JSON schema whose keys come in the order
//! the model should think in: the statement, the answer in it, then the wrong
//! answers (a schema with sorted keys makes a small model write the answer
//! first). The model writes no question of its own: strict labellers passed
//! none of the 1.5B model's 82 own questions in four runs (bench/exam-quality,
//! 2026-12-07). The exam asks its facts as clozes and true/false statements,
//! and the tokens go to more facts (172 questions of 200 asked instead of
//! 149 in the same budget).

use serde_json::{json, Value};

use super::{ChatError, Item};
use crate::passages::Passage;

/// The instructions, with one worked example (from another subject, so that
/// nothing of it can leak into a lecture's questions).
pub const SYSTEM: &str = r#"You write exam questions for university students from one passage of their lecture.
Each item tests one important fact that the passage states: a definition, a purpose, a cause or effect, a comparison, a property, a rule, a number. A teacher would ask it in an exam: never an aside, a historical remark, an opinion or advice, a pointer to other reading, a figure's caption, an example's details, installation or layout notes, or what any reader knows without the lecture.
For each item write:
- statement: one true sentence stating the fact, complete and understandable without the passage. Name things explicitly: never "it", "this", "they", "the rest", "above", "the passage", "the text", "the lecture", "the example". Never start with a section heading.
- answer: a short answer of 1 to 4 words (a term, a name, a number with its unit), copied exactly from the statement. Never a whole sentence.
- distractors: wrong answers of the same kind as the answer (all terms of one kind, or all names, or all numbers with the same unit), about as long as the answer. Take them from the passage first: the other terms, names or numbers it mentions for other things. Each must be clearly wrong according to the passage, and none may be a synonym, a part, or an example of the answer. Never "all of the above" or "none of the above".
Write in the third person about the subject: never "you", "we", "our", and never mention the passage, the text, the author or the document.
Use only facts the passage states. Different items must test different facts.

Example passage:
Enzymes are proteins that speed up chemical reactions in cells without being used up; other proteins, such as antibodies, hormones and collagens, have other roles. Each enzyme binds one specific molecule, its substrate, at a region called the active site; some enzymes also have an allosteric site, where a regulator binds. Most human enzymes work best at about 37 °C; at 25 °C they work slowly, and above 50 °C high temperatures change the shape of the active site.

Example answer:
{"items": [
{"statement": "Enzymes are proteins that speed up chemical reactions in cells without being used up.", "answer": "Enzymes", "distractors": ["Antibodies", "Hormones", "Collagens", "Histones"]},
{"statement": "An enzyme binds its substrate at a region called the active site.", "answer": "active site", "distractors": ["allosteric site", "hydrophobic core", "peptide backbone", "signal sequence"]},
{"statement": "Most human enzymes work best at about 37 °C.", "answer": "37 °C", "distractors": ["25 °C", "50 °C", "65 °C", "15 °C"]}
]}

When you are asked to check questions instead, answer each numbered question as a careful student who has only the passage: give the letter of the option that the passage shows to be correct. Use only the passage."#;

/// The JSON schema of the answer, as JSON text whose keys come in the
/// order to write them (`serde_json`'s maps sort their keys).
pub fn schema(n_items: usize, n_distractors: usize) -> String {
    format!(
        concat!(
            r#"{{"type":"object","properties":{{"items":{{"type":"array","minItems":{n},"maxItems":{n},"items":{{"type":"object","#,
            r#""properties":{{"statement":{{"type":"string","maxLength":240}},"answer":{{"type":"string","maxLength":48}},"#,
            r#""distractors":{{"type":"array","items":{{"type":"string","maxLength":60}},"minItems":{d},"maxItems":{d}}}}},"#,
            r#""required":["statement","answer","distractors"]}}}}}},"required":["items"]}}"#
        ),
        n = n_items,
        d = n_distractors
    )
}

/// Where the schema goes in the body before it is put in as text.
const SCHEMA_SLOT: &str = "\\u0000schema";

/// The chat-completions body (JSON text) for one passage: `n_items` facts,
/// each with `n_options` wrong answers (one more than an exam needs, for the
/// verifier to choose from).
pub fn request(model: &str, title: &str, passage: &Passage, n_items: usize, n_options: usize) -> String {
    let user = format!("{}Write {n_items} items, each about a different fact of this passage.", passage_header(title, passage));
    let n_distractors = n_options.max(2);
    chat_body(model, &user, 60 + n_items * (55 + 14 * n_distractors), "exam_items", &schema(n_items, n_distractors))
}

/// A chat-completions body (JSON text): the [`SYSTEM`] prompt, `user`, at
/// temperature 0, the answer constrained by `schema` (JSON text, put in as
/// written so its keys keep their order) under `name`.
pub fn chat_body(model: &str, user: &str, max_tokens: usize, name: &str, schema: &str) -> String {
    let body = json!({
        "model": model,
        "temperature": 0,
        "max_tokens": max_tokens,
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": user}
        ],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": "\u{0}schema"}
        }
    });
    body.to_string().replacen(&format!("\"{SCHEMA_SLOT}\""), schema, 1)
}

/// The start of every request about a passage: the lecture's title, the
/// section's, the passage. Requests about one passage share it (and the
/// system prompt), so a server that caches prompt prefixes reads the passage
/// once for writing its facts and checking them.
pub fn passage_header(title: &str, passage: &Passage) -> String {
    let mut user = String::new();
    if !title.trim().is_empty() {
        user.push_str(&format!("Lecture: {}\n", title.trim()));
    }
    if !passage.title.trim().is_empty() {
        user.push_str(&format!("Section: {}\n", passage.title.trim()));
    }
    user.push_str(&format!("\nPassage:\n{}\n\n", passage.text.trim()));
    user
}

/// `choices[0].message.content` of a chat-completions reply.
pub fn reply_content(reply: &Value) -> Result<&str, ChatError> {
    reply["choices"][0]["message"]["content"].as_str().ok_or_else(|| ChatError::Garbage("the reply has no choices[0].message.content".into()))
}

/// The first balanced JSON object or array in `text` (code fences and prose
/// around it dropped).
pub fn json_in(text: &str) -> Option<&str> {
    let start = text.find(['{', '['])?;
    let (mut depth, mut in_str, mut esc) = (0i32, false, false);
    for (i, b) in text.bytes().enumerate().skip(start) {
        if in_str {
            match b {
                _ if esc => esc = false,
                b'\\' => esc = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&text[start..=i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// The items of an answer: `{"items": [...]}` or a bare array; items
/// missing a field are dropped, text is trimmed.
pub fn parse(content: &str) -> Result<Vec<Item>, ChatError> {
    let raw = json_in(content).ok_or_else(|| ChatError::Garbage("no JSON in the answer".into()))?;
    let v: Value = serde_json::from_str(raw).map_err(|e| ChatError::Garbage(format!("invalid JSON: {e}")))?;
    let list = match &v {
        Value::Array(a) => a.clone(),
        Value::Object(o) => o.get("items").and_then(Value::as_array).cloned().ok_or_else(|| ChatError::Garbage("no \"items\" array".into()))?,
        _ => return Err(ChatError::Garbage("neither an object nor an array".into())),
    };
    let items: Vec<Item> = list
        .into_iter()
        .filter_map(|x| serde_json::from_value::<Item>(x).ok())
        .map(|it| Item {
            statement: clean(&it.statement),
            question: clean(&it.question),
            answer: clean(&it.answer),
            distractors: it.distractors.iter().map(|d| clean(d)).filter(|d| !d.is_empty()).collect(),
        })
        .filter(|it| !it.statement.is_empty() && !it.answer.is_empty())
        .collect();
    if items.is_empty() {
        return Err(ChatError::Garbage("no complete item".into()));
    }
    Ok(items)
}

/// One line, single spaces, no surrounding quotes or markdown emphasis.
fn clean(s: &str) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    one.trim_matches(|c: char| c == '"' || c == '*' || c == '`' || c.is_whitespace()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage() -> Passage {
        Passage {
            page: 3,
            title: "Comments".into(),
            sentences: vec![],
            texts: vec![],
            text: "When LaTeX encounters a % character, it ignores the rest of the line.".into(),
            words: 12,
            position: 0.1,
            score: 1.0,
        }
    }

    #[test]
    fn the_request_keeps_the_schema_order_and_the_passage() {
        let text = request("qwen", "LaTeX course", &passage(), 3, 4);
        let body: Value = serde_json::from_str(&text).expect("the body is JSON");
        let (s, a, d) = (text.find("\"statement\"").unwrap(), text.find("\"answer\"").unwrap(), text.find("\"distractors\"").unwrap());
        assert!(s < a && a < d, "{text}");
        assert!(!text.contains("\"question\""), "the model writes no question of its own");
        assert_eq!(body["messages"][0]["content"], SYSTEM);
        let user = body["messages"][1]["content"].as_str().unwrap();
        assert!(user.contains("Lecture: LaTeX course") && user.contains("Section: Comments") && user.contains("ignores the rest"));
        assert_eq!(body["response_format"]["json_schema"]["schema"]["properties"]["items"]["minItems"], 3);
        assert_eq!(body["temperature"], 0);
    }

    #[test]
    fn answers_are_read_from_fences_wrappers_and_arrays() {
        let one = r##"{"statement":"LaTeX ignores text after %.","question":"Which character starts a comment?","answer":"%","distractors":["#","&","$"]}"##;
        for content in [format!("{{\"items\": [{one}]}}"), format!("```json\n[{one}]\n```"), format!("Here you go: {{\"items\":[{one}, {{\"statement\": \"x\"}}]}} done")] {
            let items = parse(&content).unwrap();
            assert_eq!(items.len(), 1, "{content}");
            assert_eq!(items[0].answer, "%");
            assert_eq!(items[0].distractors, ["#", "&", "$"]);
        }
        assert!(matches!(parse("no json here"), Err(ChatError::Garbage(_))));
        assert!(matches!(parse("{\"items\": []}"), Err(ChatError::Garbage(_))));
        assert!(matches!(parse("{\"items\": [1, 2]}"), Err(ChatError::Garbage(_))));
        assert!(matches!(parse("{\"items\": [{\"statement\": \"a\""), Err(ChatError::Garbage(_))));
    }

    #[test]
    fn text_is_cleaned() {
        let items = parse(r#"[{"statement":" \"The  nucleus\nholds DNA.\" ","question":"**What holds DNA?**","answer":"`The nucleus`","distractors":[" ", "The ribosome"]}]"#).unwrap();
        assert_eq!(items[0].statement, "The nucleus holds DNA.");
        assert_eq!(items[0].question, "What holds DNA?");
        assert_eq!(items[0].answer, "The nucleus");
        assert_eq!(items[0].distractors, ["The ribosome"]);
    }
}
