//! The optional LLM backend's pure half: the chat-completions request body,
//! and strict reading of the model's answer (code fences and trailing text
//! repaired, then the exam validated against the request). The HTTP call
//! lives in exam-gen.

use serde_json::{json, Value};

use crate::{Generated, Generation, QuestionType, Request, Stats};
use examfn_domain::exam::{Exam, Question, TRUE_FALSE_OPTIONS};

/// Why an LLM answer was not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    #[error("the reply has no choices[0].message.content")]
    NoContent,
    #[error("the answer holds no JSON array")]
    NoJson,
    #[error("the answer is not valid JSON: {0}")]
    Json(String),
    #[error("the exam does not match the request: {0}")]
    Invalid(String),
}

/// Text of the lecture sent to the model, cut at `max_chars` (on a char boundary).
fn lecture_excerpt(pages: &[String], max_chars: usize) -> String {
    let mut out = String::new();
    for (i, p) in pages.iter().enumerate() {
        if out.len() >= max_chars {
            break;
        }
        out.push_str(&format!("[page {}]\n{}\n", i + 1, p));
    }
    if out.len() > max_chars {
        let mut cut = max_chars;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    out
}

/// The body of `POST {base}/chat/completions`.
pub fn chat_request(model: &str, pages: &[String], req: &Request, max_chars: usize) -> Value {
    let system = "You write exams from lecture notes. Answer with a JSON array only, no prose. Each element is \
                  {\"question\": string, \"options\": [string], \"correct_answer\": string}. Every question must be \
                  answerable from the lecture; correct_answer must be exactly one of the options.";
    let user = format!(
        "Write {} multiple-choice questions with exactly {} distinct options each, then {} true/false questions whose \
         options are exactly [\"True\",\"False\"] (about half of them false). Spread the questions over the whole \
         lecture.\n\nLecture:\n{}",
        req.n_mcq,
        req.n_options,
        req.n_tfq,
        lecture_excerpt(pages, max_chars)
    );
    json!({
        "model": model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": user}
        ]
    })
}

/// `choices[0].message.content` of a chat-completions reply.
pub fn reply_content(reply: &Value) -> Result<&str, LlmError> {
    reply["choices"][0]["message"]["content"].as_str().ok_or(LlmError::NoContent)
}

/// The first balanced JSON array (or object) in `text`: drops code fences,
/// prose before it and text after it.
pub fn repair(text: &str) -> Option<&str> {
    let start = text.find(['[', '{'])?;
    let bytes = text.as_bytes();
    let mut depth = 0i32;
    let mut in_str = false;
    let mut esc = false;
    for (i, &b) in bytes.iter().enumerate().skip(start) {
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
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
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

/// Read and validate the model's exam against the request.
pub fn parse_exam(content: &str, req: &Request) -> Result<Exam, LlmError> {
    let json_text = repair(content).ok_or(LlmError::NoJson)?;
    let mut value: Value = serde_json::from_str(json_text).map_err(|e| LlmError::Json(e.to_string()))?;
    // `{"questions": [...]}` and similar wrappers.
    if let Value::Object(m) = &value {
        let arrays: Vec<&Value> = m.values().filter(|v| v.is_array()).collect();
        if arrays.len() == 1 {
            value = arrays[0].clone();
        }
    }
    let Value::Array(items) = value else {
        return Err(LlmError::Invalid("the answer is not a JSON array of questions".into()));
    };
    let bad = |i: usize, m: &str| LlmError::Invalid(format!("question {}: {m}", i + 1));
    let mut mcq: Vec<Question> = Vec::new();
    let mut tfq: Vec<Question> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, it) in items.iter().enumerate() {
        let q = it["question"].as_str().map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| bad(i, "no question text"))?;
        let opts: Vec<String> = it["options"]
            .as_array()
            .ok_or_else(|| bad(i, "no options array"))?
            .iter()
            .map(|o| o.as_str().map(|s| s.trim().to_string()).ok_or_else(|| bad(i, "an option is not a string")))
            .collect::<Result<_, _>>()?;
        let ans = it["correct_answer"].as_str().map(str::trim).ok_or_else(|| bad(i, "no correct_answer"))?;
        if !seen.insert(q.to_lowercase()) {
            return Err(bad(i, "duplicate question"));
        }
        let is_tf = opts.len() == 2 && opts.iter().all(|o| o.eq_ignore_ascii_case("true") || o.eq_ignore_ascii_case("false"));
        if is_tf {
            let ans = if ans.eq_ignore_ascii_case("true") {
                TRUE_FALSE_OPTIONS[0]
            } else if ans.eq_ignore_ascii_case("false") {
                TRUE_FALSE_OPTIONS[1]
            } else {
                return Err(bad(i, "true/false answer is neither True nor False"));
            };
            tfq.push(Question {
                question: q.to_string(),
                options: TRUE_FALSE_OPTIONS.iter().map(|s| s.to_string()).collect(),
                correct_answer: ans.to_string(),
            });
            continue;
        }
        if opts.len() != req.n_options {
            return Err(bad(i, &format!("{} options, {} requested", opts.len(), req.n_options)));
        }
        let distinct: std::collections::BTreeSet<String> = opts.iter().map(|o| o.to_lowercase()).collect();
        if distinct.len() != opts.len() || opts.iter().any(String::is_empty) {
            return Err(bad(i, "duplicate or empty options"));
        }
        if opts.iter().filter(|o| o.as_str() == ans).count() != 1 {
            return Err(bad(i, "correct_answer is not exactly one of the options"));
        }
        mcq.push(Question { question: q.to_string(), options: opts, correct_answer: ans.to_string() });
    }
    if mcq.len() != req.n_mcq || tfq.len() != req.n_tfq {
        return Err(LlmError::Invalid(format!(
            "{} multiple-choice and {} true/false questions, {} and {} requested",
            mcq.len(),
            tfq.len(),
            req.n_mcq,
            req.n_tfq
        )));
    }
    mcq.extend(tfq);
    Ok(mcq)
}

/// A validated LLM exam as a [`Generation`] (no page references).
pub fn generation(exam: Exam, model: &str, stats: Stats) -> Generation {
    let questions = exam
        .into_iter()
        .map(|q| Generated {
            kind: if q.is_true_false() { QuestionType::TrueFalse } else { QuestionType::MultipleChoice },
            page: 0,
            source: String::new(),
            answer_kind: "llm".into(),
            form: String::new(),
            question: q,
        })
        .collect();
    Generation { questions, shortfall: Vec::new(), stats, generator: format!("llm:{model}"), ranking: "llm".into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQ: Request = Request { n_mcq: 1, n_tfq: 1, n_options: 3 };

    fn good() -> String {
        json!([
            {"question": "Which gas do plants absorb?", "options": ["oxygen", "carbon dioxide", "nitrogen"], "correct_answer": "carbon dioxide"},
            {"question": "Plants make sugar.", "options": ["True", "False"], "correct_answer": "True"}
        ])
        .to_string()
    }

    #[test]
    fn accepts_clean_fenced_and_chatty_answers() {
        assert_eq!(parse_exam(&good(), &REQ).unwrap().len(), 2);
        let fenced = format!("Here is your exam:\n```json\n{}\n```\nGood luck! [1]", good());
        let exam = parse_exam(&fenced, &REQ).unwrap();
        assert_eq!(exam[0].correct_answer, "carbon dioxide");
        assert!(exam[1].is_true_false());
        let wrapped = format!("{{\"questions\": {}}}", good());
        assert_eq!(parse_exam(&wrapped, &REQ).unwrap().len(), 2);
        let lower_tf = good().replace("\"True\", \"False\"", "\"true\", \"false\"").replace("\"correct_answer\":\"True\"", "\"correct_answer\":\"true\"");
        assert!(parse_exam(&lower_tf, &REQ).unwrap()[1].is_true_false());
    }

    #[test]
    fn rejects_what_does_not_match() {
        assert_eq!(parse_exam("I cannot help with that.", &REQ), Err(LlmError::NoJson));
        assert!(matches!(parse_exam("[{\"question\": ", &REQ), Err(LlmError::NoJson)));
        assert!(matches!(parse_exam("[1, 2,]", &REQ), Err(LlmError::Json(_))));
        let wrong_answer = good().replace("\"correct_answer\":\"carbon dioxide\"", "\"correct_answer\":\"helium\"");
        assert!(parse_exam(&wrong_answer, &REQ).unwrap_err().to_string().contains("exactly one of the options"));
        let two_options = good().replace(", \"nitrogen\"", "").replace(",\"nitrogen\"", "");
        assert!(parse_exam(&two_options, &REQ).unwrap_err().to_string().contains("2 options, 3 requested"));
        let more = Request { n_mcq: 2, ..REQ };
        assert!(parse_exam(&good(), &more).unwrap_err().to_string().contains("2 and 1 requested"));
        let dup = good().replace("nitrogen", "Oxygen");
        assert!(parse_exam(&dup, &REQ).unwrap_err().to_string().contains("duplicate"));
    }

    #[test]
    fn request_body_is_openai_shaped() {
        let body = chat_request("m1", &["Cells divide.".to_string()], &REQ, 10_000);
        assert_eq!(body["model"], "m1");
        assert_eq!(body["messages"][0]["role"], "system");
        let user = body["messages"][1]["content"].as_str().unwrap();
        assert!(user.contains("1 multiple-choice questions with exactly 3") && user.contains("[page 1]\nCells divide."));
        let long = vec!["é".repeat(100)];
        let body = chat_request("m", &long, &REQ, 51);
        assert!(body["messages"][1]["content"].as_str().unwrap().len() < 1000);
    }
}
