//! The question forms. Each form's file says where the lecture offers that
//! form (its candidates, with a score for the ranking) and builds the
//! question of a candidate (stem, answer, distractors); this file lists the
//! candidates of all forms and gives every multiple-choice question its
//! final checks and the answer's position among the options.

mod cloze;
mod definition;
mod false_statement;
mod glossary;
mod list;
mod statement;
mod statement_pair;
mod term_for_definition;
mod true_false;

use std::collections::BTreeSet;

use examfn_domain::exam::Question;

use super::gate::hedged;
use super::grammar::singular;
use super::Gen;
use crate::analysis::terms::Span;
use crate::{Generated, QuestionType};

/// The forms of multiple-choice questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Form {
    TermForDefinition,
    Definition,
    Cloze,
    Statement,
    FalseStatement,
    List,
    Glossary,
    StatementPair,
}

impl Form {
    fn label(self) -> &'static str {
        match self {
            Form::TermForDefinition => "term_for_definition",
            Form::Definition => "definition",
            Form::Cloze => "cloze",
            Form::Statement => "statement",
            Form::FalseStatement => "false_statement",
            Form::Glossary => "glossary",
            Form::StatementPair => "statement_pair",
            Form::List => "list",
        }
    }
}

/// A possible multiple-choice question, before distractors are chosen.
pub(super) struct Candidate {
    pub(super) sentence: usize,
    pub(super) score: f64,
    pub(super) tie: u64,
    pub(super) what: What,
}

pub(super) enum What {
    Cloze(Span),
    List { group: usize, item: usize },
    TermFor(usize),
    Meaning(usize),
    Statement,
    FalseStatement,
    /// Entry `entry` of glossary `run`.
    Gloss { run: usize, entry: usize },
    /// Two statements, each true or negated: which are true?
    Pair,
}

impl What {
    pub(super) fn form(&self) -> Form {
        match self {
            What::Cloze(_) => Form::Cloze,
            What::List { .. } => Form::List,
            What::TermFor(_) => Form::TermForDefinition,
            What::Gloss { .. } => Form::Glossary,
            What::Pair => Form::StatementPair,
            What::Meaning(_) => Form::Definition,
            What::Statement => Form::Statement,
            What::FalseStatement => Form::FalseStatement,
        }
    }
}

/// A multiple-choice question as its form builds it, before the options are
/// checked and the answer placed among them.
struct Draft {
    question: String,
    answer: String,
    distractors: Vec<String>,
    /// What the answer is (`term`, `year`, `definition`, …).
    kind: String,
}

impl Gen<'_> {
    /// Every possible multiple-choice question of the lecture, before
    /// distractors are chosen: sentence by sentence its clozes and statement
    /// forms, then the definitions', glossaries' and lists' questions.
    pub(super) fn candidates(&self) -> Vec<Candidate> {
        let mut out = Vec::new();
        for s in self.sentences {
            if !self.gated(s) {
                self.fact_cloze_candidates(s, &mut out);
                continue;
            }
            self.cloze_candidates(s, &mut out);
            // Statements: any self-contained sentence with a swappable fact.
            // Statements the options quote must be plain claims, no hedge or evaluation.
            if s.words() <= 26 && !hedged(s) {
                out.push(self.statement_candidate(s));
                out.push(self.false_statement_candidate(s));
                out.push(self.statement_pair_candidate(s));
            }
        }
        for (di, d) in self.defs.iter().enumerate() {
            out.push(self.term_for_definition_candidate(di, d));
            out.push(self.definition_candidate(di, d));
        }
        self.glossary_candidates(&mut out);
        self.list_candidates(&mut out);
        out
    }

    /// Build the question of a candidate, or None when it lacks distractors.
    pub(super) fn build_mcq(&self, c: &Candidate, n_options: usize, all: &BTreeSet<String>) -> Option<Generated> {
        let s = &self.sentences[c.sentence];
        let k = n_options - 1;
        let Draft { question, answer, distractors, kind } = match &c.what {
            What::Cloze(sp) => self.build_cloze(s, sp, k)?,
            What::List { group, item } => self.build_list(s, *group, *item, k)?,
            What::TermFor(di) => self.build_term_for_definition(*di, k)?,
            What::Meaning(di) => self.build_definition(*di, k)?,
            What::Gloss { run, entry } => self.build_glossary(*run, *entry, k)?,
            What::Pair => return self.build_statement_pair(c.sentence, n_options, all),
            What::FalseStatement => self.build_false_statement(c.sentence, k, all)?,
            What::Statement => self.build_statement(c.sentence, k, all)?,
        };
        // The answer must not be among the distractors, nor one option twice,
        // nor an option the singular or plural of another.
        let mut seen: BTreeSet<String> = BTreeSet::new();
        if !std::iter::once(&answer).chain(distractors.iter()).all(|o| seen.insert(singular(&o.to_lowercase()))) {
            return None;
        }
        let mut options = distractors;
        let pos = (self.tie(&question) % n_options as u64) as usize;
        options.insert(pos.min(options.len()), answer.clone());
        Some(Generated {
            question: Question { question, options, correct_answer: answer },
            kind: QuestionType::MultipleChoice,
            page: s.page,
            source: s.text.clone(),
            answer_kind: kind,
            form: c.what.form().label().to_string(),
        })
    }
}
