//! Names shared by every function and by the deployment: topics, database,
//! collections, event types. The manifests are checked against these.

/// Topic MinIO's bucket notification writes object events to.
pub const EXAM_GENERATOR_TOPIC: &str = "exam-generator-topic";
/// Topic Debezium (or the local cdc-relay) writes `exams.score` changes to.
pub const SCORE_CDC_TOPIC: &str = "mongo-trigger-topic.exams.score";
/// Topic the email function consumes.
pub const EMAIL_TOPIC: &str = "email-topic";
/// Suffix of every dead-letter topic: `<topic>.dlq`.
pub const DLQ_SUFFIX: &str = ".dlq";

/// The MongoDB database every function uses.
pub const DATABASE: &str = "exams";
/// Graded attempts (the AWS original's result documents).
pub const SCORE_COLLECTION: &str = "score";
/// Educators subscribed to notifications (`{email}`).
pub const SUBSCRIBERS_COLLECTION: &str = "subscribers";
/// Generation status of every exam (`generating|ready|failed`).
pub const EXAMS_COLLECTION: &str = "exams";

/// The bucket and the prefixes kept from the AWS original.
pub const BUCKET: &str = "exams";
pub const UPLOAD_PREFIX: &str = "exams/";
pub const QUESTIONS_PREFIX: &str = "questions_bank/";

/// CloudEvent type of an email request on `email-topic`.
pub const EMAIL_EVENT_TYPE: &str = "dev.examfn.email.v1";
