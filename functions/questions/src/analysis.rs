//! Analysis of a lecture's text: sentences and list items with their classes
//! ([`prose`], [`text`]), key terms ([`terms`]), definitions ([`define`]),
//! glossaries ([`glossary`]), and sentence embeddings ([`semantic`]).

pub mod define;
pub mod glossary;
pub mod prose;
pub mod semantic;
pub mod terms;
pub mod text;
