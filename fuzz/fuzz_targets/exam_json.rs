//! Exam files (`questions_bank/<name>.json`) from arbitrary bytes: whatever
//! parses serialises back to an equal exam.
#![no_main]
use examfn_domain::exam::Exam;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(exam) = serde_json::from_slice::<Exam>(data) {
        let back = serde_json::to_vec(&exam).expect("an exam serialises");
        let again: Exam = serde_json::from_slice(&back).expect("what we write parses");
        assert_eq!(exam, again);
        for q in &exam {
            let _ = q.is_true_false();
        }
    }
});
