//! examfn's domain: the wire formats kept from the AWS exam generator and the
//! logic that works on them. Nothing in this crate performs I/O; every function
//! takes values and returns values, so it is tested without servers.

pub mod debezium;
pub mod email;
pub mod exam;
pub mod grading;
pub mod names;
pub mod scorecard;
pub mod upload;
pub mod analysis;
pub mod export;
