//! Weights on disk: f32 tensors in the safetensors format, and files replaced atomically (write, then rename).

use std::path::Path;

use safetensors::{Dtype, SafeTensors, tensor::TensorView};

use crate::error::ModelError;

/// Serialises f32 tensors in safetensors format.
pub(crate) fn write_tensors<T: AsRef<[f32]>>(
    path: &Path,
    shapes: &[(&'static str, Vec<usize>)],
    data: &[T],
) -> Result<Vec<u8>, ModelError> {
    let raw: Vec<Vec<u8>> = data
        .iter()
        .map(|t| t.as_ref().iter().flat_map(|x| x.to_le_bytes()).collect())
        .collect();
    let views = shapes
        .iter()
        .zip(&raw)
        .map(|((name, shape), bytes)| {
            TensorView::new(Dtype::F32, shape.clone(), bytes)
                .map(|v| (*name, v))
                .map_err(|e| ModelError::artifact(path, format!("tensor {name}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    safetensors::serialize(views, &None).map_err(|e| ModelError::artifact(path, e.to_string()))
}

/// Reads exactly the expected f32 tensors, in order, checking type and shape.
pub(crate) fn read_tensors(
    path: &Path,
    bytes: &[u8],
    expected: &[(&'static str, Vec<usize>)],
) -> Result<Vec<Vec<f32>>, ModelError> {
    let file = SafeTensors::deserialize(bytes)
        .map_err(|e| ModelError::artifact(path, format!("not a safetensors file: {e}")))?;
    if file.len() != expected.len() {
        return Err(ModelError::artifact(
            path,
            format!("{} tensors, expected {}", file.len(), expected.len()),
        ));
    }
    expected
        .iter()
        .map(|(name, shape)| {
            let view = file
                .tensor(name)
                .map_err(|e| ModelError::artifact(path, format!("tensor {name}: {e}")))?;
            if view.dtype() != Dtype::F32 || view.shape() != shape.as_slice() {
                return Err(ModelError::artifact(
                    path,
                    format!(
                        "tensor {name} is {:?}{:?}, config.json expects F32{shape:?}",
                        view.dtype(),
                        view.shape()
                    ),
                ));
            }
            Ok(view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect())
        })
        .collect()
}

/// Writes `bytes` next to `path`, then renames over it: a reader sees the old file or the new one, never half.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ModelError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| ModelError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| ModelError::io(path, e))
}
