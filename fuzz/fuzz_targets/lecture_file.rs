//! Every non-PDF lecture reader (`.pptx`, `.docx`, `.odp`, `.odt`, `.md`,
//! `.html`) from arbitrary bytes: the first byte picks the format, the rest
//! is the file. Nothing may panic, and nothing may take longer or use more
//! than exam-gen's child-process limits allow (run with `-rss_limit_mb` and
//! `-timeout`).
#![no_main]
use examfn_questions::extract::{extract, Format};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else { return };
    let formats = [Format::Pptx, Format::Docx, Format::Odp, Format::Odt, Format::Markdown, Format::Html];
    let _ = extract(file, formats[usize::from(pick) % formats.len()]);
});
