//! Thin binary: everything lives in the library so the `examfn` CLI and the
//! tests can run the same code.
fn main() -> anyhow::Result<()> {
    examfn_exam_gen::main()
}
