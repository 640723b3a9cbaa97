//! The BERT encoder forward pass in f32 and its math pieces.
//!
//! A batch is "ragged": the tokens of all its texts are rows of one matrix, with no padding.
//! Every dense layer is one sgemm over all rows of the batch; attention runs per text over that
//! text's own rows, which is exactly what a padding mask achieves (a masked key gets weight
//! exp(-inf) = 0), without computing the padded rows at all.

/// One encoder layer's weights, `[out, in]` row-major as stored in the safetensors file.
pub(crate) struct Layer {
    /// query, key and value weights stacked: `[3·hidden, hidden]`.
    pub qkv_w: Vec<f32>,
    pub qkv_b: Vec<f32>,
    pub attn_out_w: Vec<f32>,
    pub attn_out_b: Vec<f32>,
    pub ln1_g: Vec<f32>,
    pub ln1_b: Vec<f32>,
    pub inter_w: Vec<f32>,
    pub inter_b: Vec<f32>,
    pub out_w: Vec<f32>,
    pub out_b: Vec<f32>,
    pub ln2_g: Vec<f32>,
    pub ln2_b: Vec<f32>,
}

pub(crate) struct Bert {
    pub hidden: usize,
    pub heads: usize,
    pub intermediate: usize,
    pub eps: f32,
    pub max_positions: usize,
    pub word: Vec<f32>,
    pub position: Vec<f32>,
    /// Row 0 of the token-type embeddings (every token is type 0).
    pub token_type0: Vec<f32>,
    pub emb_ln_g: Vec<f32>,
    pub emb_ln_b: Vec<f32>,
    pub layers: Vec<Layer>,
}

/// Buffers of one worker, grown to the largest batch seen and reused.
#[derive(Default)]
pub(crate) struct Workspace {
    x: Vec<f32>,
    qkv: Vec<f32>,
    ctx: Vec<f32>,
    tmp: Vec<f32>,
    inter: Vec<f32>,
    scores: Vec<f32>,
}

fn grow(v: &mut Vec<f32>, n: usize) -> &mut [f32] {
    if v.len() < n {
        v.resize(n, 0.0);
    }
    &mut v[..n]
}

impl Bert {
    /// Embeds a batch of token-id sequences (each non-empty, at most `max_positions` long):
    /// mean of the last hidden states over each sequence's tokens, L2-normalised.
    pub(crate) fn embed_batch(&self, seqs: &[&[u32]], ws: &mut Workspace) -> Vec<Vec<f32>> {
        let h = self.hidden;
        let rows: usize = seqs.iter().map(|s| s.len()).sum();
        let longest = seqs.iter().map(|s| s.len()).max().unwrap_or(0);
        let x = grow(&mut ws.x, rows * h);
        let qkv = grow(&mut ws.qkv, rows * 3 * h);
        let ctx = grow(&mut ws.ctx, rows * h);
        let tmp = grow(&mut ws.tmp, rows * h);
        let inter = grow(&mut ws.inter, rows * self.intermediate);
        let scores = grow(&mut ws.scores, longest * longest);

        // Embeddings: word + position + token type 0, then LayerNorm.
        let mut r = 0;
        for s in seqs {
            for (pos, &id) in s.iter().enumerate() {
                let t = &mut tmp[r * h..(r + 1) * h];
                let w = &self.word[id as usize * h..(id as usize + 1) * h];
                let p = &self.position[pos * h..(pos + 1) * h];
                for (((t, w), p), ty) in t.iter_mut().zip(w).zip(p).zip(&self.token_type0) {
                    *t = w + p + ty;
                }
                r += 1;
            }
        }
        layer_norm_rows(tmp, x, &self.emb_ln_g, &self.emb_ln_b, self.eps);

        let dh = h / self.heads;
        let scale = 1.0 / (dh as f32).sqrt();
        for l in &self.layers {
            linear(x, &l.qkv_w, &l.qkv_b, qkv, rows, h, 3 * h);
            let mut r0 = 0;
            for s in seqs {
                let n = s.len();
                for head in 0..self.heads {
                    let q = &qkv[r0 * 3 * h + head * dh..];
                    let k = &qkv[r0 * 3 * h + h + head * dh..];
                    let v = &qkv[r0 * 3 * h + 2 * h + head * dh..];
                    let sc = &mut scores[..n * n];
                    // scores = scale · Q Kᵀ  ([n, dh] × [dh, n])
                    gemm(
                        n,
                        dh,
                        n,
                        scale,
                        q,
                        (3 * h, 1),
                        k,
                        (1, 3 * h),
                        0.0,
                        sc,
                        (n, 1),
                    );
                    for row in sc.chunks_exact_mut(n) {
                        softmax(row);
                    }
                    // ctx = P V  ([n, n] × [n, dh]) into this head's columns.
                    let c = &mut ctx[r0 * h + head * dh..];
                    gemm(n, n, dh, 1.0, sc, (n, 1), v, (3 * h, 1), 0.0, c, (h, 1));
                }
                r0 += n;
            }
            // Attention output dense + residual, LayerNorm.
            residual_linear(ctx, &l.attn_out_w, &l.attn_out_b, x, tmp, rows, h, h);
            layer_norm_rows(tmp, x, &l.ln1_g, &l.ln1_b, self.eps);
            // Feed-forward: dense + GELU, dense + residual, LayerNorm.
            linear(x, &l.inter_w, &l.inter_b, inter, rows, h, self.intermediate);
            gelu_in_place(inter);
            residual_linear(
                inter,
                &l.out_w,
                &l.out_b,
                x,
                tmp,
                rows,
                self.intermediate,
                h,
            );
            layer_norm_rows(tmp, x, &l.ln2_g, &l.ln2_b, self.eps);
        }

        let mut out = Vec::with_capacity(seqs.len());
        let mut r0 = 0;
        for s in seqs {
            let mut e = mean_rows(&x[r0 * h..(r0 + s.len()) * h], h);
            l2_normalize(&mut e);
            out.push(e);
            r0 += s.len();
        }
        out
    }
}

/// `c = alpha · a·b + beta · c` over strided views, with the bounds checked once here so the
/// unsafe call below stays in range. Strides are (row, column) in elements.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: &[f32],
    (rsa, csa): (usize, usize),
    b: &[f32],
    (rsb, csb): (usize, usize),
    beta: f32,
    c: &mut [f32],
    (rsc, csc): (usize, usize),
) {
    if m == 0 || n == 0 {
        return;
    }
    let last = |rows: usize, cols: usize, rs: usize, cs: usize| (rows - 1) * rs + (cols - 1) * cs;
    if k > 0 {
        assert!(last(m, k, rsa, csa) < a.len() && last(k, n, rsb, csb) < b.len());
    }
    assert!(last(m, n, rsc, csc) < c.len());
    // SAFETY: every element that sgemm reads or writes is at an offset checked above, and
    // `c` is a unique borrow that cannot alias `a` or `b`.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            alpha,
            a.as_ptr(),
            rsa as isize,
            csa as isize,
            b.as_ptr(),
            rsb as isize,
            csb as isize,
            beta,
            c.as_mut_ptr(),
            rsc as isize,
            csc as isize,
        );
    }
}

/// `y[rows, out] = x[rows, inp] · wᵀ + bias`, with `w` stored `[out, inp]`.
pub(crate) fn linear(
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    y: &mut [f32],
    rows: usize,
    inp: usize,
    out: usize,
) {
    for row in y[..rows * out].chunks_exact_mut(out) {
        row.copy_from_slice(bias);
    }
    gemm(
        rows,
        inp,
        out,
        1.0,
        x,
        (inp, 1),
        w,
        (1, inp),
        1.0,
        y,
        (out, 1),
    );
}

/// `y = x · wᵀ + bias + residual`.
#[allow(clippy::too_many_arguments)]
fn residual_linear(
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    residual: &[f32],
    y: &mut [f32],
    rows: usize,
    inp: usize,
    out: usize,
) {
    for (row, res) in y[..rows * out]
        .chunks_exact_mut(out)
        .zip(residual.chunks_exact(out))
    {
        for ((y, b), r) in row.iter_mut().zip(bias).zip(res) {
            *y = b + r;
        }
    }
    gemm(
        rows,
        inp,
        out,
        1.0,
        x,
        (inp, 1),
        w,
        (1, inp),
        1.0,
        y,
        (out, 1),
    );
}

/// LayerNorm of every row of `src` (width `g.len()`) into `dst`: (x − mean) / √(var + eps) · g + b,
/// with the biased variance, as PyTorch computes it.
pub(crate) fn layer_norm_rows(src: &[f32], dst: &mut [f32], g: &[f32], b: &[f32], eps: f32) {
    let w = g.len();
    for (s, d) in src.chunks_exact(w).zip(dst.chunks_exact_mut(w)) {
        let mean = s.iter().sum::<f32>() / w as f32;
        let var = s.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / w as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for (((d, s), g), b) in d.iter_mut().zip(s).zip(g).zip(b) {
            *d = (s - mean) * inv * g + b;
        }
    }
}

/// Softmax of one row of scores, in place (max subtracted first).
pub(crate) fn softmax(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in row.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    let inv = 1.0 / sum;
    for v in row.iter_mut() {
        *v *= inv;
    }
}

/// GELU, erf form: x · ½ · (1 + erf(x / √2)).
pub(crate) fn gelu_in_place(x: &mut [f32]) {
    for v in x.iter_mut() {
        *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// erf with absolute error below 1.5e-7 (Abramowitz & Stegun 7.1.26), i.e. at f32 precision.
pub(crate) fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152 + t * 1.061_405_4))));
    let y = 1.0 - poly * (-a * a).exp();
    y.copysign(x)
}

/// Mean of the rows of `x` (width `w`).
pub(crate) fn mean_rows(x: &[f32], w: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; w];
    let n = x.len() / w;
    for row in x.chunks_exact(w) {
        for (o, v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
    let inv = 1.0 / n.max(1) as f32;
    out.iter_mut().for_each(|o| *o *= inv);
    out
}

/// Divides by the L2 norm (clamped at 1e-12, as `torch.nn.functional.normalize`).
pub(crate) fn l2_normalize(x: &mut [f32]) {
    let norm = x.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
    x.iter_mut().for_each(|v| *v /= norm);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f32], b: &[f32], tol: f32) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= tol,
                "element {i}: {x} vs {y} (tol {tol})\n{a:?}\n{b:?}"
            );
        }
    }

    #[test]
    fn layer_norm_matches_hand_computation() {
        // Row [1, 2, 3]: mean 2, biased variance 2/3, so (x − 2)/√(2/3) = [−1.2247449, 0, 1.2247449].
        // Row [4, 4, 4]: variance 0 → 0 / √eps = 0 → just the bias.
        let src = [1.0, 2.0, 3.0, 4.0, 4.0, 4.0];
        let mut dst = [0.0; 6];
        layer_norm_rows(&src, &mut dst, &[1.0, 2.0, 0.5], &[0.0, 1.0, -1.0], 1e-12);
        close(
            &dst,
            &[-1.224_744_9, 1.0, -0.387_627_4, 0.0, 1.0, -1.0],
            1e-6,
        );
    }

    #[test]
    fn gelu_and_erf_match_known_values() {
        // erf(0.5) = 0.5204998778, erf(1) = 0.8427007929, erf(2) = 0.9953222650
        for (x, e) in [
            (0.5f32, 0.520_499_9),
            (1.0, 0.842_700_8),
            (2.0, 0.995_322_3),
            (-1.0, -0.842_700_8),
            (0.0, 0.0),
        ] {
            assert!((erf(x) - e).abs() < 3e-7, "erf({x}) = {} not {e}", erf(x));
        }
        // GELU(x) = x·Φ(x): Φ(1) = 0.8413447461, Φ(−1) = 0.1586552539, Φ(3) = 0.9986501020.
        let mut v = [1.0, -1.0, 3.0, 0.0, -6.0];
        gelu_in_place(&mut v);
        close(
            &v,
            &[
                0.841_344_7,
                -0.158_655_25,
                2.995_950_3,
                0.0,
                -6.0 * 9.865_876e-10,
            ],
            3e-7,
        );
    }

    #[test]
    fn softmax_is_stable_and_a_masked_score_gets_zero_weight() {
        let mut row = [1.0, 2.0, 3.0];
        softmax(&mut row);
        // e^-2, e^-1, 1 over their sum 1.503214724
        close(&row, &[0.090_030_57, 0.244_728_48, 0.665_240_94], 1e-7);
        let mut big = [1000.0, 1000.0];
        softmax(&mut big);
        close(&big, &[0.5, 0.5], 0.0);
        // A padded key, masked the way BERT does (score + f32::MIN), gets weight exactly 0.
        let mut masked = [0.5, 0.25, 0.5 + f32::MIN];
        softmax(&mut masked);
        assert_eq!(masked[2], 0.0);
        close(&masked[..2], &[0.562_176_5, 0.437_823_5], 1e-7);
    }

    #[test]
    fn mean_pooling_and_normalisation() {
        let mut m = mean_rows(&[1.0, 2.0, 3.0, 6.0], 2);
        close(&m, &[2.0, 4.0], 0.0);
        l2_normalize(&mut m);
        close(&m, &[0.447_213_6, 0.894_427_2], 1e-7);
        let mut zero = vec![0.0, 0.0];
        l2_normalize(&mut zero);
        close(&zero, &[0.0, 0.0], 0.0);
    }

    #[test]
    fn linear_uses_out_by_in_weights_and_strided_gemm_transposes() {
        // x = [[1, 2], [3, 4]], w = [[1, 0], [1, 1], [0, 2]] (out 3, in 2), b = [0.5, 0, -1]
        let mut y = [0.0; 6];
        linear(
            &[1.0, 2.0, 3.0, 4.0],
            &[1.0, 0.0, 1.0, 1.0, 0.0, 2.0],
            &[0.5, 0.0, -1.0],
            &mut y,
            2,
            2,
            3,
        );
        close(&y, &[1.5, 3.0, 3.0, 3.5, 7.0, 7.0], 0.0);
        // Q·Kᵀ through strides, as attention uses it: [[1,2],[3,4]]·[[1,2],[3,4]]ᵀ
        let q = [1.0, 2.0, 3.0, 4.0];
        let mut s = [0.0; 4];
        gemm(2, 2, 2, 0.5, &q, (2, 1), &q, (1, 2), 0.0, &mut s, (2, 1));
        close(&s, &[2.5, 5.5, 5.5, 12.5], 0.0);
    }
}
