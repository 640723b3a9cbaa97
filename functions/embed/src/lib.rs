//! Sentence embeddings with all-MiniLM-L6-v2 (or any BERT of that layout), offline, on the CPU.
//!
//! ```no_run
//! let e = examfn_embed::Embedder::load(std::path::Path::new("/path/to/all-MiniLM-L6-v2-0.1.2"))?;
//! let v = e.embed(&["Photosynthesis makes sugar.", "Plants turn light into energy."]);
//! let cosine: f32 = v[0].iter().zip(&v[1]).map(|(a, b)| a * b).sum(); // vectors are unit length
//! # Ok::<(), examfn_embed::EmbedError>(())
//! ```
//!
//! The output is what sentence-transformers gives for the model: BERT's last hidden states,
//! mean-pooled over the text's tokens and L2-normalised. The tokenizer (BERT uncased WordPiece)
//! and the encoder are implemented here; the dense layers run on `matrixmultiply`'s sgemm.

mod model;
mod tokenizer;
mod unicode_tables;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Deserialize;

use model::{Bert, Layer, Workspace};
use tokenizer::{TokenizerJson, WordPiece};

/// Why a model directory could not be loaded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("parsing {path}: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("reading {path}: {source}")]
    Safetensors {
        path: PathBuf,
        source: safetensors::SafeTensorError,
    },
    #[error("{path}: {problem}")]
    Invalid { path: PathBuf, problem: String },
}

/// Most tokens a text is cut to by default, `[CLS]` and `[SEP]` included (the model's
/// `tokenizer.json` truncation).
pub const DEFAULT_MAX_TOKENS: usize = 128;

/// Tokens per batch: every dense layer is one sgemm over this many rows.
const BATCH_TOKENS: usize = 1024;

/// A loaded model: tokenizer and encoder weights. Immutable, so `&Embedder` can be shared
/// between threads.
pub struct Embedder {
    tok: WordPiece,
    bert: Bert,
    max_tokens: usize,
    threads: usize,
}

#[derive(Deserialize)]
struct Config {
    hidden_size: usize,
    num_attention_heads: usize,
    num_hidden_layers: usize,
    intermediate_size: usize,
    max_position_embeddings: usize,
    vocab_size: usize,
    #[serde(default = "default_type_vocab")]
    type_vocab_size: usize,
    #[serde(default = "default_eps")]
    layer_norm_eps: f64,
    #[serde(default = "default_act")]
    hidden_act: String,
    #[serde(default = "default_pos")]
    position_embedding_type: String,
}

fn default_type_vocab() -> usize {
    2
}
fn default_eps() -> f64 {
    1e-12
}
fn default_act() -> String {
    "gelu".into()
}
fn default_pos() -> String {
    "absolute".into()
}

impl Embedder {
    /// Loads `config.json`, `tokenizer.json` and `model.safetensors` from `dir` (the unpacked
    /// model, e.g. what `install-model.sh` prints) and checks every tensor's dtype and shape.
    pub fn load(dir: &Path) -> Result<Embedder, EmbedError> {
        let config_path = dir.join("config.json");
        let config: Config = read_json(&config_path)?;
        let invalid = |path: &Path, problem: String| EmbedError::Invalid {
            path: path.to_path_buf(),
            problem,
        };
        if config.hidden_act != "gelu" {
            return Err(invalid(
                &config_path,
                format!(
                    "hidden_act {:?} is not supported (only \"gelu\")",
                    config.hidden_act
                ),
            ));
        }
        if config.position_embedding_type != "absolute" {
            return Err(invalid(
                &config_path,
                format!(
                    "position_embedding_type {:?} is not supported (only \"absolute\")",
                    config.position_embedding_type
                ),
            ));
        }
        let (h, heads) = (config.hidden_size, config.num_attention_heads);
        if h == 0
            || heads == 0
            || h % heads != 0
            || config.intermediate_size == 0
            || config.max_position_embeddings < 2
        {
            return Err(invalid(
                &config_path,
                format!(
                    "hidden_size {h}, num_attention_heads {heads}, intermediate_size {}, max_position_embeddings {}: \
                     need hidden_size a positive multiple of the heads, a positive intermediate size and at least 2 positions",
                    config.intermediate_size, config.max_position_embeddings
                ),
            ));
        }

        let tok_path = dir.join("tokenizer.json");
        let tok = WordPiece::from_json(read_json::<TokenizerJson>(&tok_path)?)
            .map_err(|p| invalid(&tok_path, p))?;
        if tok.vocab_size() > config.vocab_size {
            return Err(invalid(
                &tok_path,
                format!(
                    "the vocabulary has {} tokens but config.json's vocab_size is {}",
                    tok.vocab_size(),
                    config.vocab_size
                ),
            ));
        }

        let st_path = dir.join("model.safetensors");
        let bytes = std::fs::read(&st_path).map_err(|source| EmbedError::Io {
            path: st_path.clone(),
            source,
        })?;
        let st = safetensors::SafeTensors::deserialize(&bytes).map_err(|source| {
            EmbedError::Safetensors {
                path: st_path.clone(),
                source,
            }
        })?;
        let get = |name: &str, shape: &[usize]| -> Result<Vec<f32>, EmbedError> {
            let t = st
                .tensor(name)
                .map_err(|_| invalid(&st_path, format!("tensor {name} is missing")))?;
            if t.dtype() != safetensors::Dtype::F32 {
                return Err(invalid(
                    &st_path,
                    format!("tensor {name} is {:?}, expected F32", t.dtype()),
                ));
            }
            if t.shape() != shape {
                return Err(invalid(
                    &st_path,
                    format!(
                        "tensor {name} has shape {:?}, expected {shape:?}",
                        t.shape()
                    ),
                ));
            }
            Ok(t.data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect())
        };
        let i = config.intermediate_size;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for n in 0..config.num_hidden_layers {
            let p = format!("encoder.layer.{n}");
            let mut qkv_w = get(&format!("{p}.attention.self.query.weight"), &[h, h])?;
            qkv_w.extend(get(&format!("{p}.attention.self.key.weight"), &[h, h])?);
            qkv_w.extend(get(&format!("{p}.attention.self.value.weight"), &[h, h])?);
            let mut qkv_b = get(&format!("{p}.attention.self.query.bias"), &[h])?;
            qkv_b.extend(get(&format!("{p}.attention.self.key.bias"), &[h])?);
            qkv_b.extend(get(&format!("{p}.attention.self.value.bias"), &[h])?);
            layers.push(Layer {
                qkv_w,
                qkv_b,
                attn_out_w: get(&format!("{p}.attention.output.dense.weight"), &[h, h])?,
                attn_out_b: get(&format!("{p}.attention.output.dense.bias"), &[h])?,
                ln1_g: get(&format!("{p}.attention.output.LayerNorm.weight"), &[h])?,
                ln1_b: get(&format!("{p}.attention.output.LayerNorm.bias"), &[h])?,
                inter_w: get(&format!("{p}.intermediate.dense.weight"), &[i, h])?,
                inter_b: get(&format!("{p}.intermediate.dense.bias"), &[i])?,
                out_w: get(&format!("{p}.output.dense.weight"), &[h, i])?,
                out_b: get(&format!("{p}.output.dense.bias"), &[h])?,
                ln2_g: get(&format!("{p}.output.LayerNorm.weight"), &[h])?,
                ln2_b: get(&format!("{p}.output.LayerNorm.bias"), &[h])?,
            });
        }
        let mut token_type0 = get(
            "embeddings.token_type_embeddings.weight",
            &[config.type_vocab_size, h],
        )?;
        token_type0.truncate(h);
        if token_type0.len() != h {
            return Err(invalid(&config_path, "type_vocab_size is 0".into()));
        }
        let bert = Bert {
            hidden: h,
            heads,
            intermediate: i,
            eps: config.layer_norm_eps as f32,
            max_positions: config.max_position_embeddings,
            word: get("embeddings.word_embeddings.weight", &[config.vocab_size, h])?,
            position: get(
                "embeddings.position_embeddings.weight",
                &[config.max_position_embeddings, h],
            )?,
            token_type0,
            emb_ln_g: get("embeddings.LayerNorm.weight", &[h])?,
            emb_ln_b: get("embeddings.LayerNorm.bias", &[h])?,
            layers,
        };
        let max_tokens = DEFAULT_MAX_TOKENS.min(bert.max_positions);
        Ok(Embedder {
            tok,
            bert,
            max_tokens,
            threads: 1,
        })
    }

    /// Cuts every text to at most `n` tokens, `[CLS]` and `[SEP]` included (clamped to
    /// 2..=the model's position count, 512 for all-MiniLM-L6-v2). sentence-transformers itself
    /// uses 256 for this model; the default here is 128 (the tokenizer file's own limit), which
    /// is plenty for a sentence and halves the cost of long paragraphs.
    pub fn with_max_tokens(mut self, n: usize) -> Embedder {
        self.max_tokens = n.clamp(2, self.bert.max_positions);
        self
    }

    /// Runs [`embed`](Self::embed) on up to `n` threads (at least 1; default 1). Threads only
    /// help for inputs of more than one batch (about 1,000 tokens).
    pub fn with_threads(mut self, n: usize) -> Embedder {
        self.threads = n.max(1);
        self
    }

    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// Length of the vectors [`embed`](Self::embed) returns (384 for all-MiniLM-L6-v2).
    pub fn dim(&self) -> usize {
        self.bert.hidden
    }

    /// Tokens the model runs for `text`: `[CLS]`, its WordPiece tokens and `[SEP]`, cut at
    /// [`max_tokens`](Self::max_tokens). The cost of [`embed`](Self::embed) is about
    /// proportional to the sum of these.
    pub fn count_tokens(&self, text: &str) -> usize {
        let mut ids = Vec::new();
        self.tok.encode(text, self.max_tokens, &mut ids);
        ids.len()
    }

    /// Token ids of `text` as the model sees it (with `[CLS]` and `[SEP]`, truncated).
    pub fn token_ids(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::new();
        self.tok.encode(text, self.max_tokens, &mut ids);
        ids
    }

    /// One unit-length vector of [`dim`](Self::dim) floats per text, in order. An empty text
    /// is embedded as `[CLS] [SEP]`, like sentence-transformers does.
    pub fn embed(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        let ids: Vec<Vec<u32>> = texts.iter().map(|t| self.token_ids(t)).collect();
        let total: usize = ids.iter().map(Vec::len).sum();
        // Batches are consecutive texts of about `budget` tokens; with several threads, small
        // enough that every thread gets work.
        let budget = BATCH_TOKENS.min(total.div_ceil(self.threads)).max(1);
        let mut batches: Vec<std::ops::Range<usize>> = Vec::new();
        let (mut start, mut tokens) = (0, 0);
        for (i, s) in ids.iter().enumerate() {
            if i > start && tokens + s.len() > budget {
                batches.push(start..i);
                (start, tokens) = (i, 0);
            }
            tokens += s.len();
        }
        if start < ids.len() {
            batches.push(start..ids.len());
        }

        let run = |range: &std::ops::Range<usize>, ws: &mut Workspace| {
            let seqs: Vec<&[u32]> = ids[range.clone()].iter().map(Vec::as_slice).collect();
            self.bert.embed_batch(&seqs, ws)
        };
        let threads = self.threads.min(batches.len());
        if threads <= 1 {
            let mut ws = Workspace::default();
            return batches.iter().flat_map(|b| run(b, &mut ws)).collect();
        }
        let next = AtomicUsize::new(0);
        let mut done: Vec<(usize, Vec<Vec<f32>>)> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut ws = Workspace::default();
                        let mut mine = Vec::new();
                        loop {
                            let b = next.fetch_add(1, Ordering::Relaxed);
                            let Some(range) = batches.get(b) else {
                                break mine;
                            };
                            mine.push((b, run(range, &mut ws)));
                        }
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("embedding worker panicked"))
                .collect()
        });
        done.sort_by_key(|(b, _)| *b);
        done.into_iter().flat_map(|(_, v)| v).collect()
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, EmbedError> {
    let text = std::fs::read_to_string(path).map_err(|source| EmbedError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| EmbedError::Json {
        path: path.to_path_buf(),
        source,
    })
}
