//! The text of an uploaded lecture, page by page ([`pdf`]).

pub mod pdf;
