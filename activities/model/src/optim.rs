//! Sparse, data-parallel training of the bag-of-features network ([`Trainer`]): one AdamW step per mini-batch
//! that touches only the embedding rows the batch uses, allocates no tensor, and runs on every core.
//!
//! A step has two parallel phases:
//! 1. **Rows** (split in fixed chunks of the batch): pool each row's feature embeddings, apply the head, take the
//!    loss and its gradient with respect to the pooled vector (and the head's gradient).
//! 2. **Embedding rows** (split in contiguous blocks of the table, one per thread): each block scatters the
//!    pooled gradients into the rows it owns, then updates exactly those rows with AdamW. Blocks never share a
//!    row, so no locks; each row sums its gradient in batch order, so the result does not depend on the number of
//!    threads.
//!
//! **Lazy AdamW.** A row the batch does not touch has a zero gradient; dense AdamW would still decay it
//! (decoupled weight decay) and its moments, and move it along its momentum. Here each row keeps the step it is
//! current to and, when next touched (or at the end of the epoch), catches up in closed form: weight decay and
//! the moments' decay for the steps it missed, and, for the epoch's weight average, the geometric sum of its
//! decaying values over those steps. The one thing skipped is the momentum's drift of untouched rows, as in
//! TensorFlow's LazyAdam; with `beta1 = 0` the result equals dense AdamW exactly (tested against Candle's), and
//! with the default it converges to the same F1 (see CHANGELOG).
//!
//! The arithmetic is checked against Candle: the gradients against Candle's autograd of the whole graph, the
//! update against `candle_nn::AdamW`.

use rayon::prelude::*;

use crate::features::SparseVec;
use crate::net::{Dims, Loss, Weights};

/// AdamW's settings (moment and epsilon defaults as Candle's `ParamsAdamW`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AdamW {
    pub lr: f32,
    pub weight_decay: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
}

impl AdamW {
    pub(crate) fn new(lr: f64, weight_decay: f64) -> Self {
        Self {
            lr: lr as f32,
            weight_decay: weight_decay as f32,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }

    /// The factor decoupled weight decay multiplies a weight by at each step.
    fn decay(&self) -> f32 {
        1.0 - self.lr * self.weight_decay
    }
}

/// Slots of one embedding row's optimiser state, each `width` floats: first and second moments, then the
/// epoch's running sum of weights (for averaging). The weights themselves live in their own dense array, which
/// the forward pass reads at random: a quarter of weights and state together, so far more of it stays in cache.
const AVG: usize = 2;
const SLOTS: usize = 3;

/// Rows of the batch per task of the first phase.
const ROW_CHUNK: usize = 16;

/// A dense variable (bias, head): every step updates every element.
#[derive(Debug, Clone)]
struct Dense {
    w: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
    avg: Vec<f32>,
}

impl Dense {
    fn new(w: &[f32]) -> Self {
        Self {
            w: w.to_vec(),
            m: vec![0.0; w.len()],
            v: vec![0.0; w.len()],
            avg: vec![0.0; w.len()],
        }
    }
}

/// Per embedding row: the step its weight is current to, the last step that touched it, and where its gradient
/// is in that step's compact gradient buffer.
#[derive(Debug, Clone, Copy, Default)]
struct RowMeta {
    clock: u32,
    stamp: u32,
    slot: u32,
}

/// Per block of the table, reused every step: the rows the batch touched (in first-touch order) and their
/// gradients, side by side (the gradient of `touched[k]` at `grads[k · width..]`).
#[derive(Debug, Clone, Default)]
struct Scratch {
    touched: Vec<u32>,
    grads: Vec<f32>,
}

/// The trainable state of one training run.
pub(crate) struct Trainer {
    dims: Dims,
    adam: AdamW,
    average: bool,
    /// `features × width`: the embedding.
    theta: Vec<f32>,
    /// `features × SLOTS × width`: its optimiser state.
    state: Vec<f32>,
    meta: Vec<RowMeta>,
    /// bias, then (with a head) head.weight and head.bias.
    dense: Vec<Dense>,
    step: u32,
    epoch_start: u32,
    /// Gradient of the loss with respect to each row's pooled vector (phase 1 → phase 2).
    d_pooled: Vec<f32>,
    /// One per block of the table.
    scratch: Vec<Scratch>,
    /// An embedding-sized buffer handed back by [`Trainer::recycle`], for the next epoch's average: fresh
    /// tables of this size are fresh pages from the kernel, which showed as a tenth of training time.
    spare: Option<Vec<f32>>,
    /// `decay^k` for the steps a row can have missed (at most the epoch's so far): the forward pass reads a
    /// row's weight as `θ · decay^missed` without writing it.
    decay_powers: Vec<f32>,
    /// [`catch_up_factors`] for 0, 1, 2… missed steps, kept like `decay_powers` (three powers per touched row and
    /// step were a tenth of a step).
    missed: Vec<Missed>,
}

impl Trainer {
    pub(crate) fn new(weights: &Weights, adam: AdamW, average: bool) -> Self {
        let dims = weights.dims;
        let width = dims.width();
        let blocks = rayon::current_num_threads().clamp(1, dims.features.max(1));
        Self {
            dims,
            adam,
            average,
            theta: weights.tensors[0].clone(),
            state: vec![0f32; dims.features * SLOTS * width],
            meta: vec![RowMeta::default(); dims.features],
            dense: weights.tensors[1..].iter().map(|t| Dense::new(t)).collect(),
            step: 0,
            epoch_start: 0,
            d_pooled: Vec::new(),
            scratch: vec![Scratch::default(); blocks],
            spare: None,
            decay_powers: vec![1.0],
            missed: Vec::new(),
        }
    }

    /// Starts over from `weights` with fresh optimiser state, reusing this trainer's memory (a new trainer's
    /// tables are fresh pages from the kernel: tens of milliseconds of page faults on the sample).
    pub(crate) fn reset(&mut self, weights: &Weights, adam: AdamW) {
        assert_eq!(weights.dims, self.dims, "a reset keeps the dimensions");
        self.adam = adam;
        self.theta.copy_from_slice(&weights.tensors[0]);
        self.state.par_chunks_mut(1 << 16).for_each(|c| c.fill(0.0));
        self.meta.fill(RowMeta::default());
        self.dense = weights.tensors[1..].iter().map(|t| Dense::new(t)).collect();
        self.step = 0;
        self.epoch_start = 0;
        self.decay_powers = vec![1.0];
        self.missed.clear();
    }

    /// Sets the learning rate for the steps to come; only between epochs, when every row is current (the
    /// catch-up of a row assumes one decay factor over the steps it missed).
    pub(crate) fn set_learning_rate(&mut self, lr: f32) {
        assert_eq!(
            self.step, self.epoch_start,
            "the learning rate changes between epochs only"
        );
        if lr != self.adam.lr {
            self.adam.lr = lr;
            self.decay_powers = vec![1.0];
            self.missed.clear();
        }
    }

    /// One AdamW step on a mini-batch; returns the batch's weighted mean loss (before the step).
    pub(crate) fn step(
        &mut self,
        loss: Loss,
        rows: &[&SparseVec],
        targets: &[u32],
        sample_weights: &[f32],
    ) -> f32 {
        let total: f32 = sample_weights.iter().sum();
        let scale = 1.0 / total.max(f32::MIN_POSITIVE);
        let missed_max = (self.step - self.epoch_start) as usize;
        while self.decay_powers.len() <= missed_max {
            let k = self.decay_powers.len() as i32;
            self.decay_powers
                .push(f64::from(self.adam.decay()).powi(k) as f32);
        }
        while self.missed.len() <= missed_max {
            let k = self.missed.len() as u32;
            self.missed.push(catch_up_factors(&self.adam, k));
        }
        let (value, head_grads) = self.backward_rows(loss, rows, targets, sample_weights, scale);
        self.step += 1;
        let t = self.step;
        let (adam, average, dims) = (self.adam, self.average, self.dims);
        let bias_correction = BiasCorrection::at(&adam, t);

        // Phase 2: each block of the table scatters and applies the gradients of the rows it owns.
        let width = dims.width();
        let block_rows = dims.features.div_ceil(self.scratch.len()).max(1);
        let d_pooled = &self.d_pooled;
        let missed_table = &self.missed;
        self.theta
            .par_chunks_mut(block_rows * width)
            .zip(self.state.par_chunks_mut(block_rows * SLOTS * width))
            .zip(self.meta.par_chunks_mut(block_rows))
            .zip(self.scratch.par_iter_mut())
            .enumerate()
            .for_each(|(b, (((theta, state), meta), scratch))| {
                let lo = b * block_rows;
                let hi = lo + meta.len();
                let Scratch { touched, grads } = scratch;
                for (r, x) in rows.iter().enumerate() {
                    let g = &d_pooled[r * width..(r + 1) * width];
                    for (&id, &v) in x.ids.iter().zip(&x.values) {
                        let id = id as usize;
                        if id < lo || id >= hi {
                            continue;
                        }
                        let m = &mut meta[id - lo];
                        if m.stamp != t {
                            m.stamp = t;
                            m.slot = touched.len() as u32;
                            touched.push((id - lo) as u32);
                            grads.resize(grads.len() + width, 0.0);
                        }
                        let start = m.slot as usize * width;
                        grads[start..start + width]
                            .iter_mut()
                            .zip(g)
                            .for_each(|(s, g)| *s += v * g);
                    }
                }
                // Rows in address order: the prefetcher then hides most of the misses (first-touch order is
                // random). A dense step scans the block's stamps; a sparse one sorts its few rows.
                if touched.len() * 16 > meta.len() {
                    touched.clear();
                    touched.extend(
                        meta.iter()
                            .enumerate()
                            .filter(|(_, m)| m.stamp == t)
                            .map(|(i, _)| i as u32),
                    );
                } else {
                    touched.sort_unstable();
                }
                for &local in touched.iter() {
                    let local = local as usize;
                    let start = meta[local].slot as usize * width;
                    let grad = &grads[start..start + width];
                    let missed = &missed_table[(t - 1 - meta[local].clock) as usize];
                    update_row(
                        &mut theta[local * width..(local + 1) * width],
                        &mut state[local * SLOTS * width..(local + 1) * SLOTS * width],
                        grad,
                        missed,
                        &adam,
                        &bias_correction,
                        average,
                    );
                    meta[local].clock = t;
                }
                touched.clear();
                grads.clear();
            });

        // The dense variables: bias (its gradient is the sum of the pooled gradients), then the head.
        let mut bias_grad = vec![0f32; width];
        for g in self.d_pooled.chunks_exact(width) {
            bias_grad.iter_mut().zip(g).for_each(|(b, g)| *b += g);
        }
        let grads = std::iter::once(bias_grad).chain(head_grads);
        for (var, grad) in self.dense.iter_mut().zip(grads) {
            adam_update(
                &mut var.w,
                &mut var.m,
                &mut var.v,
                &grad,
                &adam,
                &bias_correction,
            );
            if average {
                var.avg.iter_mut().zip(&var.w).for_each(|(a, w)| *a += w);
            }
        }
        value
    }

    /// Phase 1: the weighted loss of the batch, `d_pooled` filled, and the head's gradients (weight, bias).
    fn backward_rows(
        &mut self,
        loss: Loss,
        rows: &[&SparseVec],
        targets: &[u32],
        sample_weights: &[f32],
        scale: f32,
    ) -> (f32, Vec<Vec<f32>>) {
        let dims = self.dims;
        let width = dims.width();
        self.d_pooled.clear();
        self.d_pooled.resize(rows.len() * width, 0.0);
        let (theta, dense) = (&self.theta, &self.dense);
        let (meta, powers, now) = (&self.meta, &self.decay_powers, self.step);
        let partials: Vec<(f32, Vec<f32>)> = self
            .d_pooled
            .par_chunks_mut(ROW_CHUNK * width)
            .zip(rows.par_chunks(ROW_CHUNK))
            .zip(targets.par_chunks(ROW_CHUNK))
            .zip(sample_weights.par_chunks(ROW_CHUNK))
            .map(|(((d_pooled, rows), targets), weights)| {
                let mut value = 0.0;
                let mut head_grad = if dims.hidden > 0 {
                    vec![0f32; dims.hidden * dims.classes + dims.classes]
                } else {
                    Vec::new()
                };
                let mut pooled = vec![0f32; width];
                let mut logits = vec![0f32; dims.classes];
                let mut d_logits = vec![0f32; dims.classes];
                for (((d, x), &target), &w) in d_pooled
                    .chunks_exact_mut(width)
                    .zip(rows)
                    .zip(targets)
                    .zip(weights)
                {
                    pool(theta, meta, powers, now, width, &dense[0].w, x, &mut pooled);
                    if dims.hidden == 0 {
                        value += loss_grad(loss, &pooled, target as usize, w * scale, d);
                        continue;
                    }
                    let (head, head_bias) = (&dense[1].w, &dense[2].w);
                    logits.copy_from_slice(head_bias);
                    for (h, row) in pooled.iter().zip(head.chunks_exact(dims.classes)) {
                        logits.iter_mut().zip(row).for_each(|(l, w)| *l += h * w);
                    }
                    value += loss_grad(loss, &logits, target as usize, w * scale, &mut d_logits);
                    let (d_head, d_head_bias) = head_grad.split_at_mut(dims.hidden * dims.classes);
                    d_head_bias
                        .iter_mut()
                        .zip(&d_logits)
                        .for_each(|(b, g)| *b += g);
                    for (p, d_row) in pooled.iter().zip(d_head.chunks_exact_mut(dims.classes)) {
                        d_row
                            .iter_mut()
                            .zip(&d_logits)
                            .for_each(|(d, g)| *d += p * g);
                    }
                    for (d, w_row) in d.iter_mut().zip(head.chunks_exact(dims.classes)) {
                        *d = w_row.iter().zip(&d_logits).map(|(w, g)| w * g).sum();
                    }
                }
                (value, head_grad)
            })
            .collect();
        let mut value = 0.0;
        let mut head: Vec<f32> = Vec::new();
        for (v, h) in partials {
            value += v;
            if head.is_empty() {
                head = h;
            } else {
                head.iter_mut().zip(&h).for_each(|(a, b)| *a += b);
            }
        }
        if dims.hidden == 0 {
            return (value, Vec::new());
        }
        let bias = head.split_off(dims.hidden * dims.classes);
        (value, vec![head, bias])
    }

    /// Ends an epoch: brings every row up to date and, with averaging, returns the mean of the weights after each
    /// of the epoch's steps (and starts the next epoch's sums).
    pub(crate) fn finish_epoch(&mut self) -> Option<Weights> {
        let (t, adam, average, width) = (self.step, self.adam, self.average, self.dims.width());
        let steps = t - self.epoch_start;
        self.epoch_start = t;
        let averaging = average && steps > 0;
        let len = if averaging {
            self.dims.features * width
        } else {
            0
        };
        // Every element is written below.
        let mut embedding = match self.spare.take() {
            Some(spare) if spare.len() == len => spare,
            _ => vec![0f32; len],
        };
        let scale = 1.0 / steps.max(1) as f32;
        // One pass over the table: catch every row up, then (averaging) take its mean and restart its sum.
        let rows = self
            .theta
            .par_chunks_mut(width)
            .zip(self.state.par_chunks_mut(SLOTS * width))
            .zip(self.meta.par_iter_mut());
        let catch_up_row = |theta: &mut [f32], state: &mut [f32], meta: &mut RowMeta| {
            catch_up(theta, state, width, t - meta.clock, &adam, average);
            meta.clock = t;
        };
        if averaging {
            rows.zip(embedding.par_chunks_mut(width))
                .with_min_len(1024)
                .for_each(|(((theta, state), meta), out)| {
                    catch_up_row(theta, state, meta);
                    let avg = &mut state[AVG * width..(AVG + 1) * width];
                    out.iter_mut()
                        .zip(avg.iter())
                        .for_each(|(o, a)| *o = a * scale);
                    avg.fill(0.0);
                });
        } else {
            rows.with_min_len(1024)
                .for_each(|((theta, state), meta)| catch_up_row(theta, state, meta));
            return None;
        }
        let mut tensors = vec![embedding];
        for var in &mut self.dense {
            tensors.push(var.avg.iter().map(|a| a * scale).collect());
            var.avg.fill(0.0);
        }
        Some(Weights {
            dims: self.dims,
            tensors,
        })
    }

    /// Hands back weights no longer needed: their embedding's memory serves the next epoch's average.
    pub(crate) fn recycle(&mut self, weights: Weights) {
        if weights.dims == self.dims
            && let Some(embedding) = weights.tensors.into_iter().next()
        {
            self.spare = Some(embedding);
        }
    }

    /// The current weights (rows not touched since their last update are decayed to now).
    pub(crate) fn weights(&self) -> Weights {
        let width = self.dims.width();
        let mut embedding = vec![0f32; self.dims.features * width];
        embedding
            .par_chunks_mut(width)
            .zip(self.theta.par_chunks(width))
            .zip(self.meta.par_iter())
            .with_min_len(1024)
            .for_each(|((out, theta), meta)| {
                let d = self.adam.decay().powi((self.step - meta.clock) as i32);
                out.iter_mut().zip(theta).for_each(|(o, w)| *o = w * d);
            });
        let mut tensors = vec![embedding];
        tensors.extend(self.dense.iter().map(|v| v.w.clone()));
        Weights {
            dims: self.dims,
            tensors,
        }
    }
}

/// `1 − βᵗ` for both moments at step `t`.
struct BiasCorrection {
    first: f32,
    second: f32,
}

impl BiasCorrection {
    fn at(adam: &AdamW, t: u32) -> Self {
        let t = t as i32;
        Self {
            first: (1.0 - f64::from(adam.beta1).powi(t)) as f32,
            second: (1.0 - f64::from(adam.beta2).powi(t)) as f32,
        }
    }
}

/// AdamW on one variable, as `candle_nn::AdamW::step`.
fn adam_update(
    w: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
    grad: &[f32],
    adam: &AdamW,
    bc: &BiasCorrection,
) {
    let decay = adam.decay();
    for (((w, m), v), &g) in w.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(grad) {
        *m = adam.beta1 * *m + (1.0 - adam.beta1) * g;
        *v = adam.beta2 * *v + (1.0 - adam.beta2) * g * g;
        let m_hat = *m / bc.first;
        let v_hat = *v / bc.second;
        *w = *w * decay - adam.lr * (m_hat / (v_hat.sqrt() + adam.eps));
    }
}

/// The factors of [`catch_up`] for `missed` steps: weight decay, both moments' decay, and the sum of the
/// weight's decay factors over the missed steps (for the average).
#[derive(Debug, Clone, Copy)]
struct Missed {
    decay: f32,
    beta1: f32,
    beta2: f32,
    decay_sum: f32,
}

fn catch_up_factors(adam: &AdamW, missed: u32) -> Missed {
    if missed == 0 {
        return Missed {
            decay: 1.0,
            beta1: 1.0,
            beta2: 1.0,
            decay_sum: 0.0,
        };
    }
    let k = missed as i32;
    let decay = f64::from(adam.decay());
    let dk = decay.powi(k);
    // Σⱼ₌₁..ₖ dʲ
    let decay_sum = if (1.0 - decay).abs() < 1e-12 {
        f64::from(missed)
    } else {
        decay * (1.0 - dk) / (1.0 - decay)
    };
    Missed {
        decay: dk as f32,
        beta1: f64::from(adam.beta1).powi(k) as f32,
        beta2: f64::from(adam.beta2).powi(k) as f32,
        decay_sum: decay_sum as f32,
    }
}

/// Catch-up over the missed steps and this step's AdamW update of one embedding row, in one pass.
fn update_row(
    w: &mut [f32],
    state: &mut [f32],
    grad: &[f32],
    missed: &Missed,
    adam: &AdamW,
    bc: &BiasCorrection,
    average: bool,
) {
    let width = w.len();
    let (m, rest) = state.split_at_mut(width);
    let (v, avg) = rest.split_at_mut(width);
    let (b1, b2) = (adam.beta1, adam.beta2);
    let (inv_bc1, inv_bc2) = (1.0 / bc.first, 1.0 / bc.second);
    // Separate simple loops over equal-length slices: each vectorises (one fused loop with a branch did not).
    let (mb1, mb2) = (missed.beta1 * b1, missed.beta2 * b2);
    for ((m, v), &g) in m.iter_mut().zip(v.iter_mut()).zip(grad) {
        *m = mb1 * *m + (1.0 - b1) * g;
        *v = mb2 * *v + (1.0 - b2) * g * g;
    }
    if average {
        avg.iter_mut()
            .zip(w.iter())
            .for_each(|(a, w)| *a += w * missed.decay_sum);
    }
    let decay = missed.decay * adam.decay();
    for ((w, m), v) in w.iter_mut().zip(m.iter()).zip(v.iter()) {
        *w = *w * decay - adam.lr * ((m * inv_bc1) / ((v * inv_bc2).sqrt() + adam.eps));
    }
    if average {
        avg.iter_mut().zip(w.iter()).for_each(|(a, w)| *a += w);
    }
}

/// Brings a row over `missed` steps without gradient: weights and moments decay; the epoch's sum of weights
/// gains the decaying weight of each missed step.
fn catch_up(
    w: &mut [f32],
    state: &mut [f32],
    width: usize,
    missed: u32,
    adam: &AdamW,
    average: bool,
) {
    if missed == 0 {
        return;
    }
    let f = catch_up_factors(adam, missed);
    let (m, rest) = state.split_at_mut(width);
    let (v, avg) = rest.split_at_mut(width);
    if average {
        avg.iter_mut()
            .zip(w.iter())
            .for_each(|(a, w)| *a += w * f.decay_sum);
    }
    w.iter_mut().for_each(|w| *w *= f.decay);
    m.iter_mut().for_each(|m| *m *= f.beta1);
    v.iter_mut().for_each(|v| *v *= f.beta2);
}

/// `bias + Σ vᵢ · embedding[idᵢ]`, each row read as of step `now` (decayed over the steps it missed).
#[allow(clippy::too_many_arguments)]
fn pool(
    theta: &[f32],
    meta: &[RowMeta],
    powers: &[f32],
    now: u32,
    width: usize,
    bias: &[f32],
    x: &SparseVec,
    pooled: &mut [f32],
) {
    pooled.copy_from_slice(bias);
    for (&id, &v) in x.ids.iter().zip(&x.values) {
        let start = id as usize * width;
        if let (Some(row), Some(m)) = (theta.get(start..start + width), meta.get(id as usize)) {
            let v = v * powers[(now - m.clock) as usize];
            pooled.iter_mut().zip(row).for_each(|(p, e)| *p += v * e);
        }
    }
}

/// One row's loss times `scale`, and its gradient with respect to the scores (times `scale`) in `d`.
fn loss_grad(loss: Loss, scores: &[f32], target: usize, scale: f32, d: &mut [f32]) -> f32 {
    match loss {
        Loss::CrossEntropy => {
            let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0.0;
            for (d, s) in d.iter_mut().zip(scores) {
                *d = (s - max).exp();
                sum += *d;
            }
            d.iter_mut().for_each(|d| *d *= scale / sum);
            d[target] -= scale;
            scale * (max + sum.ln() - scores[target])
        }
        Loss::SquaredHinge => {
            let mut value = 0.0;
            for (k, (d, &s)) in d.iter_mut().zip(scores).enumerate() {
                let y = if k == target { 1.0 } else { -1.0 };
                let margin = (1.0 - y * s).max(0.0);
                value += margin * margin;
                *d = -2.0 * y * margin * scale;
            }
            scale * value
        }
        Loss::MulticlassHinge => {
            let offset = |k: usize| if k == target { 0.0 } else { 1.0 };
            let (worst, top) = scores
                .iter()
                .enumerate()
                .map(|(k, s)| (k, s + offset(k)))
                .fold((target, f32::NEG_INFINITY), |best, (k, s)| {
                    if s > best.1 { (k, s) } else { best }
                });
            d.fill(0.0);
            if worst != target {
                d[worst] += scale;
                d[target] -= scale;
            }
            scale * (top - scores[target])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{Batch, Net, weighted_loss};
    use candle_core::{Device, Tensor};
    use candle_nn::Optimizer;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Weights with non-zero values everywhere (10 features, 3 classes).
    fn random_weights(hidden: usize, seed: u64) -> Weights {
        let dims = Dims {
            features: 10,
            hidden,
            classes: 3,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let tensors = dims
            .tensor_shapes()
            .into_iter()
            .map(|(_, shape)| {
                (0..shape.iter().product::<usize>())
                    .map(|_| rng.random_range(-1.0f32..1.0))
                    .collect()
            })
            .collect();
        Weights { dims, tensors }
    }

    fn rows() -> Vec<SparseVec> {
        vec![
            SparseVec {
                ids: vec![1, 3, 3, 9],
                values: vec![0.5, 0.25, 1.0, -2.0],
            },
            SparseVec {
                ids: vec![0, 9],
                values: vec![1.0, 0.5],
            },
            SparseVec::default(),
        ]
    }

    fn flat(t: &Tensor) -> Vec<f32> {
        t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
    }

    fn assert_close(got: &[f32], want: &[f32], what: &str) {
        assert_eq!(got.len(), want.len(), "{what}");
        for (a, b) in got.iter().zip(want) {
            assert!((a - b).abs() < 1e-5, "{what}: {a} vs {b}");
        }
    }

    #[test]
    fn gradients_match_candle_autograd() {
        let losses = [
            Loss::CrossEntropy,
            Loss::SquaredHinge,
            Loss::MulticlassHinge,
        ];
        for (hidden, loss) in [0, 4].into_iter().flat_map(|h| losses.map(|l| (h, l))) {
            let weights = random_weights(hidden, 2);
            let rows = rows();
            let refs: Vec<_> = rows.iter().collect();
            let (targets, sample_weights) = ([2u32, 0, 1], [0.5f32, 2.0, 1.0]);
            let scale = 1.0 / sample_weights.iter().sum::<f32>();

            let mut trainer = Trainer::new(&weights, AdamW::new(0.1, 0.0), false);
            let (value, head) =
                trainer.backward_rows(loss, &refs, &targets, &sample_weights, scale);
            // The embedding's and the bias's gradients from the pooled ones, densely.
            let width = weights.dims.width();
            let mut d_embedding = vec![0f32; weights.dims.features * width];
            let mut d_bias = vec![0f32; width];
            for (x, g) in rows.iter().zip(trainer.d_pooled.chunks_exact(width)) {
                d_bias.iter_mut().zip(g).for_each(|(d, g)| *d += g);
                for (&id, &v) in x.ids.iter().zip(&x.values) {
                    let d = &mut d_embedding[id as usize * width..(id as usize + 1) * width];
                    d.iter_mut().zip(g).for_each(|(d, g)| *d += v * g);
                }
            }
            let ours: Vec<Vec<f32>> = [d_embedding, d_bias].into_iter().chain(head).collect();

            let net = Net::from_weights(&weights, &Device::Cpu).unwrap();
            let batch = Batch::new(&refs, &Device::Cpu).unwrap();
            let reference = weighted_loss(
                loss,
                &net.forward(&batch).unwrap(),
                &targets,
                &sample_weights,
            )
            .unwrap();
            assert!((value - reference.to_scalar::<f32>().unwrap()).abs() < 1e-5);
            let grads = reference.backward().unwrap();
            assert_eq!(ours.len(), net.vars().len());
            for (i, (got, var)) in ours.iter().zip(net.vars()).enumerate() {
                let want = flat(grads.get(&var).unwrap());
                assert_close(
                    got,
                    &want,
                    &format!("{loss:?}, hidden {hidden}, tensor {i}"),
                );
            }
        }
    }

    /// Candle's AdamW on the whole graph for the same batches; returns the weights after each step.
    fn candle_steps(
        weights: &Weights,
        adam: AdamW,
        batches: &[Vec<SparseVec>],
        targets: &[u32],
    ) -> Vec<Weights> {
        let net = Net::from_weights(weights, &Device::Cpu).unwrap();
        let params = candle_nn::ParamsAdamW {
            lr: f64::from(adam.lr),
            beta1: f64::from(adam.beta1),
            beta2: f64::from(adam.beta2),
            eps: f64::from(adam.eps),
            weight_decay: f64::from(adam.weight_decay),
        };
        let mut optimizer = candle_nn::AdamW::new(net.vars(), params).unwrap();
        batches
            .iter()
            .map(|rows| {
                let refs: Vec<_> = rows.iter().collect();
                let batch = Batch::new(&refs, &Device::Cpu).unwrap();
                let ones = vec![1f32; rows.len()];
                let loss = weighted_loss(
                    Loss::CrossEntropy,
                    &net.forward(&batch).unwrap(),
                    &targets[..rows.len()],
                    &ones,
                )
                .unwrap();
                optimizer.backward_step(&loss).unwrap();
                net.snapshot().unwrap()
            })
            .collect()
    }

    fn sparse_steps(
        weights: &Weights,
        adam: AdamW,
        batches: &[Vec<SparseVec>],
        targets: &[u32],
    ) -> Vec<Weights> {
        let mut trainer = Trainer::new(weights, adam, false);
        batches
            .iter()
            .map(|rows| {
                let refs: Vec<_> = rows.iter().collect();
                let ones = vec![1f32; rows.len()];
                trainer.step(Loss::CrossEntropy, &refs, &targets[..rows.len()], &ones);
                trainer.weights()
            })
            .collect()
    }

    fn assert_weights_close(got: &[Weights], want: &[Weights]) {
        for (step, (g, w)) in got.iter().zip(want).enumerate() {
            for (i, (a, b)) in g.tensors.iter().zip(&w.tensors).enumerate() {
                assert_close(a, b, &format!("step {step}, tensor {i}"));
            }
        }
    }

    #[test]
    fn steps_touching_every_row_equal_candle_adamw() {
        let every_row = SparseVec {
            ids: (0..10).collect(),
            values: (0..10).map(|i| 0.1 * i as f32 - 0.3).collect(),
        };
        let batches: Vec<Vec<SparseVec>> = (0..4)
            .map(|s| {
                let mut other = every_row.clone();
                other.values.iter_mut().for_each(|v| *v *= s as f32 - 1.5);
                vec![every_row.clone(), other]
            })
            .collect();
        for hidden in [0, 4] {
            let weights = random_weights(hidden, 3);
            let adam = AdamW::new(0.05, 0.5);
            assert_weights_close(
                &sparse_steps(&weights, adam, &batches, &[1, 2]),
                &candle_steps(&weights, adam, &batches, &[1, 2]),
            );
        }
    }

    #[test]
    fn lazy_rows_equal_dense_adamw_without_momentum() {
        // Each batch touches a few rows only; without momentum, an untouched row's dense update is pure decay,
        // which the lazy catch-up applies exactly.
        let batches = single_row_batches(7);
        let adam = AdamW {
            beta1: 0.0,
            ..AdamW::new(0.05, 0.5)
        };
        let weights = random_weights(0, 4);
        assert_weights_close(
            &sparse_steps(&weights, adam, &batches, &[2]),
            &candle_steps(&weights, adam, &batches, &[2]),
        );
    }

    /// `n` batches of one row each, cycling through [`rows`].
    fn single_row_batches(n: usize) -> Vec<Vec<SparseVec>> {
        rows()
            .into_iter()
            .cycle()
            .take(n)
            .map(|r| vec![r])
            .collect()
    }

    #[test]
    fn epoch_average_is_the_mean_of_the_weights_after_each_step() {
        let batches = single_row_batches(5);
        let adam = AdamW::new(0.05, 0.5);
        let weights = random_weights(4, 5);
        let after_each = sparse_steps(&weights, adam, &batches, &[1]);
        let mut trainer = Trainer::new(&weights, adam, true);
        for epoch in 0..2 {
            let mut mean = after_each[0].clone();
            mean.tensors.iter_mut().flatten().for_each(|v| *v = 0.0);
            for rows in &batches {
                let refs: Vec<_> = rows.iter().collect();
                trainer.step(Loss::CrossEntropy, &refs, &[1], &[1.0]);
                let now = trainer.weights();
                for (m, t) in mean.tensors.iter_mut().zip(&now.tensors) {
                    m.iter_mut()
                        .zip(t)
                        .for_each(|(m, t)| *m += t / batches.len() as f32);
                }
            }
            if epoch == 0 {
                assert_weights_close(&[trainer.weights()], &[after_each[4].clone()]);
            }
            let averaged = trainer.finish_epoch().expect("averaging is on");
            assert_weights_close(&[averaged], &[mean]);
        }
    }

    #[test]
    fn a_reset_trainer_trains_as_a_fresh_one() {
        let batches = single_row_batches(5);
        let adam = AdamW::new(0.05, 0.5);
        // Two epochs, handing each average back for the next one's buffer as training does.
        let run = |trainer: &mut Trainer| -> Vec<Weights> {
            let mut out = Vec::new();
            for _ in 0..2 {
                for rows in &batches {
                    let refs: Vec<_> = rows.iter().collect();
                    trainer.step(Loss::CrossEntropy, &refs, &[1], &[1.0]);
                }
                let averaged = trainer.finish_epoch().expect("averaging is on");
                out.push(trainer.weights());
                out.push(averaged.clone());
                trainer.recycle(averaged);
            }
            out
        };
        let start = random_weights(4, 6);
        let want = run(&mut Trainer::new(&start, adam, true));
        let mut trainer = Trainer::new(&random_weights(4, 5), AdamW::new(0.2, 0.1), true);
        run(&mut trainer);
        trainer.reset(&start, adam);
        assert_eq!(run(&mut trainer), want);
    }
}
