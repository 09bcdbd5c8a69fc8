//! The network: a weighted bag of feature embeddings (`features × width`), a bias, and an optional linear head
//! (`width × classes`). With no head, `width == classes` and it is multinomial logistic regression over the
//! features; with a head it is fastText's low-rank linear model.
//!
//! `Weights::initial` gives the weights training starts from. `Net` (tests only) is the network as a Candle graph:
//! its forward pass, losses and autograd are the reference the sparse trainer (`optim`) is tested against, gradient
//! for gradient and step for step with `candle_nn::AdamW`. Training itself runs in `optim` (a dense Candle step
//! touches every row of the embedding table and allocates tensors of its size: 8× slower). Serving runs
//! [`Weights::logits`], the same sums in plain Rust.

#[cfg(test)]
use candle_core::{Device, Tensor, Var};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

#[cfg(test)]
use crate::error::ModelError;
use crate::features::SparseVec;

/// The training loss over the class scores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// Softmax cross-entropy (multinomial logistic regression).
    #[default]
    CrossEntropy,
    /// One-vs-rest squared hinge `Σₖ max(0, 1 − yₖ·sₖ)²`, `yₖ = ±1`, as scikit-learn's `LinearSVC`.
    SquaredHinge,
    /// Crammer–Singer multiclass hinge `max(0, 1 + maxₖ≠y sₖ − s_y)`.
    MulticlassHinge,
}

/// Shapes of the network, saved in config.json and checked against model.safetensors at load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dims {
    pub features: usize,
    /// Width of the pooled representation; 0 means no head (logistic regression).
    pub hidden: usize,
    pub classes: usize,
}

impl Dims {
    pub fn width(&self) -> usize {
        if self.hidden == 0 {
            self.classes
        } else {
            self.hidden
        }
    }

    /// Name and shape of every tensor in model.safetensors, in a fixed order.
    pub fn tensor_shapes(&self) -> Vec<(&'static str, Vec<usize>)> {
        let mut shapes = vec![
            ("embedding", vec![self.features, self.width()]),
            ("bias", vec![self.width()]),
        ];
        if self.hidden > 0 {
            shapes.push(("head.weight", vec![self.hidden, self.classes]));
            shapes.push(("head.bias", vec![self.classes]));
        }
        shapes
    }
}

/// Plain weights for serving: row-major copies of the tensors.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    pub dims: Dims,
    /// In the order of [`Dims::tensor_shapes`].
    pub tensors: Vec<Vec<f32>>,
}

impl Weights {
    /// Where training starts: logistic regression at zero; with a hidden layer, the embedding and the head small
    /// and random from the seeded generator (so two trainings with one seed are identical).
    pub(crate) fn initial(dims: Dims, rng: &mut ChaCha8Rng) -> Self {
        let tensors = dims
            .tensor_shapes()
            .into_iter()
            .map(|(name, shape)| {
                let n: usize = shape.iter().product();
                if dims.hidden == 0 {
                    // All zeros: no draws (3.5 M of them, then two copies through Candle, were 0.1 s per training).
                    return vec![0.0; n];
                }
                let scale = match name {
                    "embedding" => 1.0 / dims.hidden as f32,
                    "head.weight" => 1.0 / (dims.hidden as f32).sqrt(),
                    _ => 0.0,
                };
                (0..n)
                    .map(|_| scale * rng.random_range(-1.0f32..1.0))
                    .collect()
            })
            .collect();
        Self { dims, tensors }
    }

    /// Class logits of one sparse input.
    pub fn logits(&self, x: &SparseVec) -> Vec<f32> {
        let width = self.dims.width();
        let (embedding, bias) = (&self.tensors[0], &self.tensors[1]);
        let mut pooled = bias.clone();
        for (&id, &v) in x.ids.iter().zip(&x.values) {
            let start = id as usize * width;
            if let Some(row) = embedding.get(start..start + width) {
                pooled.iter_mut().zip(row).for_each(|(p, e)| *p += v * e);
            }
        }
        if self.dims.hidden == 0 {
            return pooled;
        }
        let (head, head_bias) = (&self.tensors[2], &self.tensors[3]);
        let mut logits = head_bias.clone();
        for (h, row) in pooled.iter().zip(head.chunks_exact(self.dims.classes)) {
            logits.iter_mut().zip(row).for_each(|(l, w)| *l += h * w);
        }
        logits
    }
}

/// Softmax in place, stable for large logits.
pub fn softmax(logits: &mut [f32]) {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for l in logits.iter_mut() {
        *l = (*l - max).exp();
        sum += *l;
    }
    logits.iter_mut().for_each(|l| *l /= sum);
}

/// `Σ wᵢ · −log softmax(logits)ᵢ[targetᵢ] / Σ wᵢ`.
#[cfg(test)]
pub(crate) fn weighted_cross_entropy(
    logits: &Tensor,
    targets: &[u32],
    sample_weights: &[f32],
) -> Result<Tensor, ModelError> {
    let device = logits.device();
    let total: f32 = sample_weights.iter().sum();
    let targets = Tensor::from_slice(targets, (targets.len(), 1), device)?;
    let weights = Tensor::from_slice(sample_weights, sample_weights.len(), device)?;
    let picked = candle_nn::ops::log_softmax(logits, 1)?
        .gather(&targets, 1)?
        .squeeze(1)?;
    Ok((picked * weights)?
        .sum_all()?
        .affine(-1.0 / f64::from(total.max(f32::MIN_POSITIVE)), 0.0)?)
}

/// The weighted mean of a per-row loss: `Σ wᵢ · lossᵢ / Σ wᵢ`.
#[cfg(test)]
pub(crate) fn weighted_loss(
    loss: Loss,
    logits: &Tensor,
    targets: &[u32],
    sample_weights: &[f32],
) -> Result<Tensor, ModelError> {
    if loss == Loss::CrossEntropy {
        return weighted_cross_entropy(logits, targets, sample_weights);
    }
    let device = logits.device();
    let (rows, classes) = logits.dims2()?;
    let total: f32 = sample_weights.iter().sum();
    let weights = Tensor::from_slice(sample_weights, rows, device)?;
    let per_row = match loss {
        Loss::SquaredHinge => {
            // yₖ = +1 for the target class, −1 elsewhere.
            let mut signs = vec![-1f32; rows * classes];
            for (r, &t) in targets.iter().enumerate() {
                signs[r * classes + t as usize] = 1.0;
            }
            let signs = Tensor::from_vec(signs, (rows, classes), device)?;
            (logits * signs)?.affine(-1.0, 1.0)?.relu()?.sqr()?.sum(1)?
        }
        _ => {
            // 1 − 1[k = y] + sₖ − s_y, maximised over k (k = y gives 0, the hinge's floor).
            let mut offsets = vec![1f32; rows * classes];
            for (r, &t) in targets.iter().enumerate() {
                offsets[r * classes + t as usize] = 0.0;
            }
            let offsets = Tensor::from_vec(offsets, (rows, classes), device)?;
            let ids = Tensor::from_slice(targets, (rows, 1), device)?;
            let target_score = logits.gather(&ids, 1)?;
            (logits + offsets)?.broadcast_sub(&target_score)?.max(1)?
        }
    };
    Ok((per_row * weights)?
        .sum_all()?
        .affine(1.0 / f64::from(total.max(f32::MIN_POSITIVE)), 0.0)?)
}

/// A mini-batch in the flat layout the all-Candle forward pass wants (the tests' reference).
#[cfg(test)]
pub(crate) struct Batch {
    ids: Tensor,
    values: Tensor,
    segments: Tensor,
    size: usize,
}

#[cfg(test)]
impl Batch {
    pub(crate) fn new(rows: &[&SparseVec], device: &Device) -> Result<Self, ModelError> {
        let total: usize = rows.iter().map(|r| r.ids.len()).sum();
        let (mut ids, mut values, mut segments) = (
            Vec::with_capacity(total),
            Vec::with_capacity(total),
            Vec::with_capacity(total),
        );
        for (i, row) in rows.iter().enumerate() {
            ids.extend_from_slice(&row.ids);
            values.extend_from_slice(&row.values);
            segments.extend(std::iter::repeat_n(i as u32, row.ids.len()));
        }
        Ok(Self {
            ids: Tensor::from_vec(ids, total, device)?,
            values: Tensor::from_vec(values, (total, 1), device)?,
            segments: Tensor::from_vec(segments, total, device)?,
            size: rows.len(),
        })
    }
}

/// The trainable Candle variables: the reference the sparse training is tested against.
#[cfg(test)]
pub(crate) struct Net {
    dims: Dims,
    vars: Vec<Var>,
}

#[cfg(test)]
impl Net {
    /// A network with [`Weights::initial`].
    pub(crate) fn new(
        dims: Dims,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> Result<Self, ModelError> {
        Self::from_weights(&Weights::initial(dims, rng), device)
    }

    pub(crate) fn from_weights(weights: &Weights, device: &Device) -> Result<Self, ModelError> {
        let vars = weights
            .dims
            .tensor_shapes()
            .into_iter()
            .zip(&weights.tensors)
            .map(|((_, shape), data)| Var::from_tensor(&Tensor::from_slice(data, shape, device)?))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            dims: weights.dims,
            vars,
        })
    }

    #[cfg(test)]
    pub(crate) fn vars(&self) -> Vec<Var> {
        self.vars.clone()
    }

    /// The whole forward pass in Candle ops: the reference the sparse training step is tested against.
    #[cfg(test)]
    pub(crate) fn forward(&self, batch: &Batch) -> Result<Tensor, ModelError> {
        let width = self.dims.width();
        let gathered = self.vars[0]
            .index_select(&batch.ids, 0)?
            .broadcast_mul(&batch.values)?;
        let zeros = Tensor::zeros(
            (batch.size, width),
            candle_core::DType::F32,
            gathered.device(),
        )?;
        let pooled = zeros
            .index_add(&batch.segments, &gathered, 0)?
            .broadcast_add(self.vars[1].as_tensor())?;
        self.head(&pooled)
    }

    #[cfg(test)]
    fn head(&self, pooled: &Tensor) -> Result<Tensor, ModelError> {
        if self.dims.hidden == 0 {
            return Ok(pooled.clone());
        }
        Ok(pooled
            .matmul(self.vars[2].as_tensor())?
            .broadcast_add(self.vars[3].as_tensor())?)
    }

    pub(crate) fn snapshot(&self) -> Result<Weights, ModelError> {
        let tensors = self
            .vars
            .iter()
            .map(|v| v.as_tensor().flatten_all()?.to_vec1::<f32>())
            .collect::<Result<_, _>>()?;
        Ok(Weights {
            dims: self.dims,
            tensors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// A small network with non-zero weights everywhere (10 features, 3 classes), and its weights.
    fn random_net(hidden: usize, seed: u64) -> (Net, Weights) {
        let dims = Dims {
            features: 10,
            hidden,
            classes: 3,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let net = Net::new(dims, &mut rng, &Device::Cpu).unwrap();
        let mut w = net.snapshot().unwrap();
        for t in &mut w.tensors {
            t.iter_mut()
                .for_each(|x| *x += rng.random_range(-1.0f32..1.0));
        }
        (Net::from_weights(&w, &Device::Cpu).unwrap(), w)
    }

    #[test]
    fn plain_logits_match_candle_forward() {
        for hidden in [0, 4] {
            // Non-zero weights everywhere, so the comparison means something.
            let (net, w) = random_net(hidden, 1);
            let rows = [
                SparseVec {
                    ids: vec![1, 3, 3, 9],
                    values: vec![0.5, 0.25, 1.0, -2.0],
                },
                SparseVec::default(),
                SparseVec {
                    ids: vec![0],
                    values: vec![1.0],
                },
            ];
            let refs: Vec<_> = rows.iter().collect();
            let batch = Batch::new(&refs, &Device::Cpu).unwrap();
            let candle = net.forward(&batch).unwrap().to_vec2::<f32>().unwrap();
            for (row, expected) in rows.iter().zip(candle) {
                for (a, b) in w.logits(row).iter().zip(expected) {
                    assert!((a - b).abs() < 1e-5, "{a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn hinge_losses_match_their_definitions() {
        let logits = Tensor::new(&[[2.0f32, 0.5, -1.0], [0.0, 0.2, 0.3]], &Device::Cpu).unwrap();
        let (targets, weights) = ([0u32, 1], [1.0f32, 3.0]);
        let value = |loss| {
            weighted_loss(loss, &logits, &targets, &weights)
                .unwrap()
                .to_scalar::<f32>()
                .unwrap()
        };
        // Row 0: (1 − 2)₊² + (1 + 0.5)² + (1 − 1)₊² = 2.25; row 1: 1² + 0.8² + 1.3² = 3.33.
        assert!((value(Loss::SquaredHinge) - (2.25 + 3.0 * 3.33) / 4.0).abs() < 1e-5);
        // Row 0: max(0, 1 + 0.5 − 2) = 0; row 1: 1 + 0.3 − 0.2 = 1.1.
        assert!((value(Loss::MulticlassHinge) - 3.0 * 1.1 / 4.0).abs() < 1e-5);
    }

    #[test]
    fn softmax_sums_to_one() {
        let mut l = [1000.0, 1000.0, -1000.0];
        softmax(&mut l);
        assert!((l[0] - 0.5).abs() < 1e-6 && l[2] == 0.0);
    }
}
