//! Property tests of PDF text extraction: no panic on mutated or garbage
//! input, and a valid file round-trips its text. Cases: PROPTEST_CASES / 4
//! (default 64; each case parses a PDF).

use examfn_questions::extract::pdf as pdftext;
use proptest::prelude::*;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn config(default: u32) -> ProptestConfig {
    ProptestConfig { cases: cases(default), failure_persistence: None, ..ProptestConfig::default() }
}

/// Up to 7 random edits (flip, insert, remove, truncate) of `base`.
fn mutated(base: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = base.len().max(1);
    prop::collection::vec((0..4u8, 0..len, any::<u8>()), 1..8).prop_map(move |edits| {
        let mut v = base.clone();
        for (kind, at, byte) in edits {
            let at = at.min(v.len());
            match kind {
                0 if at < v.len() => v[at] ^= byte | 1,
                1 => v.insert(at, byte),
                2 if at < v.len() => {
                    v.remove(at);
                }
                _ => v.truncate(at),
            }
        }
        v
    })
}

// -------------------------------------------------------------------- pdf

fn small_pdf() -> Vec<u8> {
    pdftext::write_text_pdf(&[
        vec!["Cells".into(), "The mitochondrion is the organelle that releases energy from glucose.".into()],
        vec!["Plants".into(), "Photosynthesis is the process by which plants turn light into sugar.".into()],
    ])
}

proptest! {
    #![proptest_config(config(64))]

    /// In process (no limits here): small mutations of a small PDF, which
    /// cannot inflate or nest far; hostile files go through exam-gen's child.
    #[test]
    fn pdf_extraction_never_panics_on_mutated_pdfs(bytes in mutated(small_pdf())) {
        match pdftext::extract(&bytes) {
            Ok(t) => prop_assert!(t.word_count() > 0),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn pdf_extraction_never_panics_on_garbage(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = pdftext::extract(&body);
        let mut v = b"%PDF-1.4\n".to_vec();
        v.extend_from_slice(&body);
        v.extend_from_slice(b"\n%%EOF\n");
        prop_assert!(pdftext::extract(&v).is_err());
    }
}

#[test]
fn a_valid_pdf_round_trips_its_text() {
    let t = pdftext::extract(&small_pdf()).unwrap();
    assert_eq!(t.page_count(), 2);
    assert!(t.pages[0].contains("mitochondrion"), "{:?}", t.pages);
}
