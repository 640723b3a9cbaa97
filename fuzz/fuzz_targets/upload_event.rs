//! Bucket notifications (MinIO Kafka/webhook, AWS S3, SNS-wrapped) from
//! arbitrary bytes: parse, then route and read the parameters of every record.
#![no_main]
use examfn_domain::upload::{self, ExamParams};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = upload::decode_key(s);
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    if let Ok(events) = upload::parse_notification(&value) {
        for ev in &events {
            let _ = upload::target(ev);
            let _ = ExamParams::from_metadata(&ev.user_metadata);
            let _ = ev.is_created();
        }
    }
});
