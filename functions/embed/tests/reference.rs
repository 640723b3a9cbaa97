//! Agreement with an independent reference on the real model: token ids from Hugging Face
//! `tokenizers` and embeddings from candle's `BertModel` (mean pooling + L2 norm), computed
//! outside this repository and kept in `fixtures/reference.json`.
//!
//! Needs the model: `EXAMFN_EMBED_MODEL_DIR=$(functions/embed/install-model.sh) cargo test -p examfn-embed`.
//! Without it these tests say so and pass.

use std::path::PathBuf;

use examfn_embed::Embedder;

struct Case {
    text: String,
    max_tokens: usize,
    ids: Vec<u32>,
    embedding: Vec<f32>,
}

fn cases() -> Vec<Case> {
    let json: serde_json::Value = serde_json::from_str(include_str!("fixtures/reference.json"))
        .expect("fixtures/reference.json parses");
    json["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| Case {
            text: c["text"].as_str().unwrap().to_string(),
            max_tokens: c["max_tokens"].as_u64().unwrap() as usize,
            ids: c["ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as u32)
                .collect(),
            embedding: c["embedding"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect(),
        })
        .collect()
}

fn model_dir() -> Option<PathBuf> {
    match std::env::var_os("EXAMFN_EMBED_MODEL_DIR") {
        Some(d) if !d.is_empty() => Some(PathBuf::from(d)),
        _ => {
            eprintln!(
                "skipped: model not installed (set EXAMFN_EMBED_MODEL_DIR to the directory that \
                 functions/embed/install-model.sh prints)"
            );
            None
        }
    }
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

#[test]
fn token_ids_and_embeddings_match_the_reference() {
    let Some(dir) = model_dir() else { return };
    let cases = cases();
    assert!(cases.len() >= 20);
    let mut worst = (f64::INFINITY, String::new());
    let mut max_abs = 0.0f32;
    for max_tokens in [16, 128, 256] {
        let e = Embedder::load(&dir)
            .expect("model loads")
            .with_max_tokens(max_tokens);
        assert_eq!(e.dim(), 384);
        let group: Vec<&Case> = cases
            .iter()
            .filter(|c| c.max_tokens == max_tokens)
            .collect();
        assert!(
            !group.is_empty(),
            "fixture has cases with max_tokens {max_tokens}"
        );
        for c in &group {
            assert_eq!(e.token_ids(&c.text), c.ids, "token ids of {:?}", c.text);
            assert_eq!(e.count_tokens(&c.text), c.ids.len());
        }
        let texts: Vec<&str> = group.iter().map(|c| c.text.as_str()).collect();
        let got = e.embed(&texts);
        for (c, v) in group.iter().zip(&got) {
            assert_eq!(v.len(), 384);
            let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-5, "norm {norm} for {:?}", c.text);
            let cos = cosine(v, &c.embedding);
            max_abs = v
                .iter()
                .zip(&c.embedding)
                .map(|(a, b)| (a - b).abs())
                .fold(max_abs, f32::max);
            if cos < worst.0 {
                worst = (cos, c.text.chars().take(40).collect());
            }
            assert!(
                cos >= 0.9999,
                "cosine {cos} with the reference for {:?}",
                c.text
            );
        }
    }
    eprintln!(
        "{} cases: token ids identical; min cosine 1 - {:.1e} ({:?}); max |difference| {max_abs:.2e}",
        cases.len(),
        1.0 - worst.0,
        worst.1
    );
}

#[test]
fn batching_and_threads_do_not_change_a_vector() {
    let Some(dir) = model_dir() else { return };
    let cases: Vec<Case> = cases()
        .into_iter()
        .filter(|c| c.max_tokens == 128)
        .collect();
    let texts: Vec<&str> = cases.iter().map(|c| c.text.as_str()).collect();
    let one = Embedder::load(&dir).unwrap();
    let alone: Vec<Vec<f32>> = texts.iter().map(|t| one.embed(&[t]).remove(0)).collect();
    // 30 copies of the list: several batches, so two threads both work.
    let many: Vec<&str> = texts
        .iter()
        .copied()
        .cycle()
        .take(texts.len() * 30)
        .collect();
    for threads in [1, 2] {
        let e = Embedder::load(&dir).unwrap().with_threads(threads);
        let got = e.embed(&many);
        assert_eq!(got.len(), many.len());
        for (i, v) in got.iter().enumerate() {
            let cos = cosine(v, &alone[i % texts.len()]);
            assert!(
                cos > 0.999_999,
                "text {i} ({threads} threads): cosine {cos} with the text embedded alone"
            );
        }
    }
}

#[test]
fn related_sentences_are_closer_than_unrelated_ones() {
    let Some(dir) = model_dir() else { return };
    let e = Embedder::load(&dir).unwrap();
    let v = e.embed(&[
        "A cat sits on the mat.",
        "A kitten is resting on a rug.",
        "The stock market fell sharply today.",
        "Investors lost money as shares dropped.",
        "Photosynthesis converts light energy into chemical energy in plants.",
        "Plants use sunlight to make sugar from carbon dioxide and water.",
    ]);
    let s = |a: usize, b: usize| cosine(&v[a], &v[b]);
    for (related, unrelated) in [
        ((0, 1), (0, 2)),
        ((0, 1), (1, 3)),
        ((2, 3), (2, 0)),
        ((2, 3), (3, 4)),
        ((4, 5), (4, 2)),
        ((4, 5), (5, 1)),
    ] {
        let (r, u) = (s(related.0, related.1), s(unrelated.0, unrelated.1));
        assert!(
            r > u + 0.2,
            "related {related:?} {r:.3} should beat unrelated {unrelated:?} {u:.3}"
        );
    }
}
