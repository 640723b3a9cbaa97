//! Broken and malicious PDFs through the extraction child (`exam-gen` started
//! with EXAMFN_PDF_EXTRACT_CHILD, as the function does): each one ends with a
//! reason (or text, where the reader legitimately finds some) within the
//! limits, and the extractor keeps working afterwards. No servers needed.

mod hostile;

use std::time::{Duration, Instant};

use examfn_exam_gen::{ExtractError, PdfExtractor, PdfLimits};
use hostile::{corpus, text_pdf, Expect};

/// Limits for the test: small, so the bombs hit them fast.
const LIMITS: PdfLimits = PdfLimits { timeout: Duration::from_secs(8), max_memory_mb: 256 };

fn extractor() -> PdfExtractor {
    PdfExtractor::with_program(LIMITS, env!("CARGO_BIN_EXE_exam-gen"), Vec::new())
}

#[tokio::test]
async fn every_hostile_pdf_ends_within_the_limits() {
    let x = extractor();
    // Slack over the wall-clock limit for the kill and the reap.
    let bound = LIMITS.timeout + Duration::from_secs(5);
    let mut report = Vec::new();
    for case in corpus(1 << 30) {
        let t = Instant::now();
        let got = x.extract(case.bytes.clone()).await;
        let took = t.elapsed();
        let outcome = match &got {
            Ok(t) => format!("text ({} pages, {} words)", t.page_count(), t.word_count()),
            Err(e) => format!("failed: {e}"),
        };
        report.push(format!("{:>6} ms  {:<60} {}", took.as_millis(), case.name, outcome));
        assert!(took < bound, "{}: took {took:?}, more than {bound:?}", case.name);
        match (&got, case.expect) {
            (Ok(t), Expect::Text | Expect::FailedOrText) => assert!(t.word_count() > 0, "{}", case.name),
            (Err(e), Expect::Failed | Expect::FailedOrText) => {
                assert!(e.is_permanent(), "{}: {e} must not be retried", case.name);
                assert!(!e.to_string().trim().is_empty(), "{}: a reason", case.name);
            }
            (Ok(_), Expect::Failed) => panic!("{}: text was extracted from a file that has none to give", case.name),
            (Err(e), Expect::Text) => panic!("{}: {e}", case.name),
        }
    }
    println!("{}", report.join("\n"));
    // Still working after all that.
    let t = x.extract(text_pdf()).await.expect("a good PDF after the corpus");
    assert!(t.pages[0].contains("mitochondrion"), "{:?}", t.pages);
}

#[tokio::test]
async fn the_limits_are_the_ones_configured() {
    // The zip bomb inflates to 1 GiB: it must hit the memory limit (not time).
    let bomb = corpus(1 << 30).into_iter().find(|c| c.name.starts_with("zip bomb: FlateDecode")).unwrap();
    match extractor().extract(bomb.bytes).await {
        Err(ExtractError::Memory(mb)) => assert_eq!(mb, 256),
        other => panic!("expected the memory limit, got {other:?}"),
    }
    // A reader that never answers (a stand-in for a parser stuck in a loop
    // without allocating): killed at the wall-clock limit.
    let tight = PdfLimits { timeout: Duration::from_millis(300), max_memory_mb: 256 };
    for (program, args) in [("/bin/sleep", vec!["30".into()]), ("/bin/sh", vec!["-c".into(), "while :; do :; done".into()])] {
        let x = PdfExtractor::with_program(tight, program, args);
        let t = Instant::now();
        match x.extract(text_pdf()).await {
            Err(ExtractError::Timeout(300)) => {}
            other => panic!("{program}: expected the 300 ms wall-clock limit, got {other:?}"),
        }
        assert!(t.elapsed() < Duration::from_secs(5), "{program}: killed promptly: {:?}", t.elapsed());
    }
}

#[tokio::test]
async fn a_missing_reader_is_retryable_not_the_pdfs_fault() {
    let x = PdfExtractor::with_program(LIMITS, "/nonexistent/exam-gen", Vec::new());
    let e = x.extract(text_pdf()).await.unwrap_err();
    assert!(matches!(e, ExtractError::Spawn(_)), "{e:?}");
    assert!(!e.is_permanent());
}
