//! The XML readers behind the zip layer: arbitrary bytes become the main
//! part of a well-formed package (`ppt/presentation.xml` with one slide,
//! `word/document.xml`, or `content.xml` of an `.odt`/`.odp`), so the
//! fuzzer spends its time in the slide, document and OpenDocument walkers
//! instead of on zip headers. The first byte picks the part.
#![no_main]
use examfn_questions::extract::samples::zip_parts;
use examfn_questions::extract::{extract, Format};
use libfuzzer_sys::fuzz_target;

const PRES: &[u8] = br#"<p:presentation xmlns:p="p" xmlns:r="r"><p:sldIdLst><p:sldId id="256" r:id="rId2"/></p:sldIdLst></p:presentation>"#;
const PRES_RELS: &[u8] = br#"<Relationships><Relationship Id="rId2" Type="x/slide" Target="slides/slide1.xml"/></Relationships>"#;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, xml)) = data.split_first() else { return };
    let xml = xml.to_vec();
    let (format, parts): (Format, Vec<(String, Vec<u8>)>) = match pick % 5 {
        0 => (Format::Pptx, vec![("ppt/presentation.xml".into(), PRES.to_vec()), ("ppt/_rels/presentation.xml.rels".into(), PRES_RELS.to_vec()), ("ppt/slides/slide1.xml".into(), xml)]),
        1 => (Format::Docx, vec![("word/document.xml".into(), xml)]),
        2 => (Format::Docx, vec![("word/document.xml".into(), b"<w:document><w:body><w:p><w:pPr><w:pStyle w:val=\"H\"/><w:numPr><w:ilvl w:val=\"1\"/><w:numId w:val=\"1\"/></w:numPr></w:pPr><w:r><w:t>x</w:t></w:r></w:p></w:body></w:document>".to_vec()), ("word/styles.xml".into(), xml.clone()), ("word/numbering.xml".into(), xml)]),
        3 => (Format::Odt, vec![("content.xml".into(), xml)]),
        _ => (Format::Odp, vec![("content.xml".into(), xml)]),
    };
    let _ = extract(&zip_parts(&parts), format);
});
