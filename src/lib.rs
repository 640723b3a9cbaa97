//! The `examfn` command: the local platform (`up`, `down`, `status`, `mail`,
//! `token`), the test command (`test`) and the functions themselves
//! (`run <function>`), in one binary.

pub mod dlq;
pub mod functions;
pub mod llm;
pub mod platform;
pub mod probe;
pub mod procs;
pub mod s3bridge;
pub mod servers;
pub mod signals;
pub mod testcmd;
pub mod tools;
