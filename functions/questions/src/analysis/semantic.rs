//! Semantic ranking with a sentence-embedding model, when one is installed.
//!
//! The generator asks for the vectors of the texts it weighs (candidate
//! sentences, answers, distractors) in one batch and uses them to rank
//! sentences by how central they are to the lecture, to prefer distractors
//! close to the answer but not synonyms of it, to refuse a true/false swap
//! that only trades a word for its synonym, and to drop near-duplicate
//! questions. Without a model every decision falls back to the lexical
//! rules, and the sidecar says which ranking wrote the exam.

use std::collections::HashMap;

/// A sentence-embedding model: one unit vector per text.
pub trait Embed: Send + Sync {
    /// Vectors of `texts`, in order, L2-normalised.
    fn embed(&self, texts: &[&str]) -> Vec<Vec<f32>>;
    /// The model's name, for the sidecar (`all-MiniLM-L6-v2`).
    fn name(&self) -> String;
}

/// Cosine of two unit vectors.
pub fn cos(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The vectors the generator asked for, by text.
pub struct Vectors {
    map: HashMap<String, Vec<f32>>,
}

impl Vectors {
    /// Embed every distinct text once.
    pub fn compute(model: &dyn Embed, texts: &[String]) -> Vectors {
        let mut uniq: Vec<&str> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for t in texts {
            if seen.insert(t.as_str()) {
                uniq.push(t.as_str());
            }
        }
        let vecs = model.embed(&uniq);
        let map = uniq.into_iter().zip(vecs).map(|(t, v)| (t.to_string(), v)).collect();
        Vectors { map }
    }
    pub fn get(&self, text: &str) -> Option<&[f32]> {
        self.map.get(text).map(Vec::as_slice)
    }
    /// Cosine of two texts, if both were embedded.
    pub fn sim(&self, a: &str, b: &str) -> Option<f32> {
        Some(cos(self.get(a)?, self.get(b)?))
    }
    /// The mean direction of some texts (renormalised).
    pub fn centroid<'a>(&self, texts: impl Iterator<Item = &'a str>) -> Option<Vec<f32>> {
        let mut sum: Option<Vec<f32>> = None;
        for t in texts {
            if let Some(v) = self.get(t) {
                match sum.as_mut() {
                    Some(s) => s.iter_mut().zip(v).for_each(|(a, b)| *a += b),
                    None => sum = Some(v.to_vec()),
                }
            }
        }
        let mut s = sum?;
        let norm = s.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            s.iter_mut().for_each(|x| *x /= norm);
        }
        Some(s)
    }
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Options closer than this to the answer are taken as synonyms of it (a
/// distractor that is also right, a swap that keeps a statement true).
pub const SYNONYM: f32 = 0.86;
/// Questions whose source sentences are closer than this ask the same thing.
pub const NEAR_DUPLICATE: f32 = 0.9;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A tiny deterministic "model" for tests: a bag of letter trigrams,
    /// hashed into 64 dimensions and normalised. Texts that share words are
    /// close; it is not a language model, only a stand-in for the trait.
    pub struct Trigrams;

    impl Embed for Trigrams {
        fn embed(&self, texts: &[&str]) -> Vec<Vec<f32>> {
            texts
                .iter()
                .map(|t| {
                    let mut v = vec![0f32; 64];
                    let s: Vec<char> = format!("  {}  ", t.to_lowercase()).chars().collect();
                    for w in s.windows(3) {
                        let h = w.iter().fold(2166136261u32, |h, c| (h ^ *c as u32).wrapping_mul(16777619));
                        v[(h % 64) as usize] += 1.0;
                    }
                    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
                    v.iter_mut().for_each(|x| *x /= n);
                    v
                })
                .collect()
        }
        fn name(&self) -> String {
            "trigram-test".into()
        }
    }

    #[test]
    fn vectors_cache_and_compare() {
        let texts: Vec<String> = ["the cell membrane", "the cell membrane", "a gene", "quantum chromodynamics"].iter().map(|s| s.to_string()).collect();
        let v = Vectors::compute(&Trigrams, &texts);
        assert_eq!(v.len(), 3);
        assert!((v.sim("a gene", "a gene").unwrap() - 1.0).abs() < 1e-5);
        assert!(v.sim("the cell membrane", "a gene").unwrap() < 0.9);
        assert!(v.sim("x", "a gene").is_none());
        let c = v.centroid(["a gene", "the cell membrane"].into_iter()).unwrap();
        assert!((c.iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-4);
    }
}
