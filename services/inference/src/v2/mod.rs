//! The Open Inference Protocol (KServe v2) beside our own API, over the same core: standard clients
//! (tritonclient, KServe's) find the Production model, check it and classify products with it unchanged.
//!
//! The classifier as a v2 model (named like the registry's model; its one version is the one served):
//!
//! | tensor | datatype | shape | |
//! |---|---|---|---|
//! | input `designation` | BYTES | `[N]` or `[N, 1]` | product titles, UTF-8, not blank (required) |
//! | input `description` | BYTES | as `designation` | HTML descriptions, may be empty (optional) |
//! | output `predicted_class` | INT64 | `[N]` | |
//! | output `confidence` | FP32 | `[N]` | |
//! | output `top_k_classes` | INT64 | `[N, k]` | most probable first |
//! | output `top_k_probabilities` | FP32 | `[N, k]` | |
//! | output `prediction_id` | BYTES | `[N]` | the inference-log key of each answer |
//!
//! Request parameter `top_k` (integer, 1–27, default 5). One infer call is one batch of the core: the same
//! validation, bounds, metrics (`api="predict_batch"`) and inference log as `POST /predict/batch`.
//!
//! This module holds what both transports share (the tensors in, the tensors out, the model's description);
//! [`rest`] and [`grpc`] only move them in and out of their wire formats.

pub mod grpc;
pub mod rest;

use std::sync::Arc;

use crate::core::{Core, LoadedModel, MAX_TOP_K, PredictInput, PredictOutput};
use crate::error::ServeError;

/// `platform` in the model's metadata.
pub const PLATFORM: &str = "rakuten_candle";
/// `name` in the server's metadata.
pub const SERVER_NAME: &str = "rakuten-inference";

/// The inputs: name, required.
pub const INPUTS: [(&str, bool); 2] = [("designation", true), ("description", false)];

/// The outputs, in the order they are answered when the request names none: name, datatype, rank.
pub const OUTPUTS: [(&str, &str, usize); 5] = [
    ("predicted_class", "INT64", 1),
    ("confidence", "FP32", 1),
    ("top_k_classes", "INT64", 2),
    ("top_k_probabilities", "FP32", 2),
    ("prediction_id", "BYTES", 1),
];

/// One input tensor as a transport decoded it: its elements in row-major order, as bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub name: String,
    pub datatype: String,
    pub shape: Vec<i64>,
    pub elements: Vec<Vec<u8>>,
}

/// An infer request as a transport decoded it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InferRequest {
    pub model_name: String,
    /// Empty: the version served.
    pub model_version: String,
    pub id: String,
    pub top_k: Option<u64>,
    pub inputs: Vec<Input>,
    /// Outputs asked for, by name, in the order to answer them (empty: every output).
    pub outputs: Vec<String>,
}

/// One output tensor's data.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    Int64(Vec<i64>),
    Fp32(Vec<f32>),
    Bytes(Vec<String>),
}

impl Data {
    /// The protocol's raw form: little-endian numbers; each BYTES element as a 4-byte little-endian length and
    /// its bytes.
    pub fn raw(&self) -> Vec<u8> {
        match self {
            Data::Int64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Data::Fp32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Data::Bytes(v) => {
                let mut out = Vec::with_capacity(v.iter().map(|s| s.len() + 4).sum());
                for s in v {
                    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
                    out.extend_from_slice(s.as_bytes());
                }
                out
            }
        }
    }

    /// The JSON form: a flat array in row-major order.
    pub fn json(&self) -> serde_json::Value {
        match self {
            Data::Int64(v) => v.as_slice().into(),
            Data::Fp32(v) => v.as_slice().into(),
            Data::Bytes(v) => v.as_slice().into(),
        }
    }
}

/// One output tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub name: &'static str,
    pub datatype: &'static str,
    pub shape: Vec<i64>,
    pub data: Data,
}

/// An infer answer: the model that gave it and the outputs asked for.
#[derive(Debug, Clone)]
pub struct InferResponse {
    pub model_name: String,
    pub model_version: String,
    pub id: String,
    pub outputs: Vec<Output>,
}

/// The model's description (`GET /v2/models/{name}`, `ModelMetadata`).
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    pub name: String,
    /// The version served (none while no model is loaded).
    pub versions: Vec<String>,
    pub inputs: Vec<(&'static str, &'static str, Vec<i64>)>,
    pub outputs: Vec<(&'static str, &'static str, Vec<i64>)>,
}

/// Splits a raw BYTES tensor (each element a 4-byte little-endian length and its bytes) into its elements.
pub fn split_raw_bytes(raw: &[u8], field: &str) -> Result<Vec<Vec<u8>>, ServeError> {
    let mut elements = Vec::new();
    let mut rest = raw;
    while !rest.is_empty() {
        let Some((len, tail)) = rest.split_first_chunk::<4>() else {
            return Err(invalid(
                field,
                "raw BYTES data ends inside an element's 4-byte length",
            ));
        };
        let len = u32::from_le_bytes(*len) as usize;
        if tail.len() < len {
            return Err(invalid(
                field,
                format!(
                    "raw BYTES element {} claims {len} bytes, {} remain",
                    elements.len(),
                    tail.len()
                ),
            ));
        }
        let (element, tail) = tail.split_at(len);
        elements.push(element.to_vec());
        rest = tail;
    }
    Ok(elements)
}

pub fn invalid(field: &str, reason: impl Into<String>) -> ServeError {
    ServeError::InvalidTensor {
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// The model asked for is the one served: its name, and its version when one is named.
fn check_model(core: &Core, name: &str, version: &str) -> Result<(), ServeError> {
    if name != core.model_name {
        return Err(ServeError::UnknownModel(format!(
            "no model named {name:?}; this service serves {:?}",
            core.model_name
        )));
    }
    if !version.is_empty()
        && let Some(m) = core.slot.current.load_full()
        && m.version_label != version
    {
        return Err(ServeError::UnknownModel(format!(
            "version {version:?} of {name:?} is not served; version {:?} is",
            m.version_label
        )));
    }
    Ok(())
}

/// Whether `name` (and `version`, when not empty) is the model served and the service takes traffic.
/// `Err` for another model or version.
pub fn model_ready(core: &Core, name: &str, version: &str) -> Result<bool, ServeError> {
    check_model(core, name, version)?;
    Ok(core.ready())
}

pub fn metadata(core: &Core, name: &str, version: &str) -> Result<Metadata, ServeError> {
    check_model(core, name, version)?;
    let current: Option<Arc<LoadedModel>> = core.slot.current.load_full();
    let shape = |rank: usize| vec![-1; rank];
    Ok(Metadata {
        name: core.model_name.clone(),
        versions: current.iter().map(|m| m.version_label.clone()).collect(),
        inputs: INPUTS
            .iter()
            .map(|&(name, _)| (name, "BYTES", shape(1)))
            .collect(),
        outputs: OUTPUTS
            .iter()
            .map(|&(name, datatype, rank)| (name, datatype, shape(rank)))
            .collect(),
    })
}

/// The products of the input tensors: `designation` (required) and `description` (optional), BYTES, the same
/// `[N]` or `[N, 1]` shape, as many elements as the shape says, UTF-8.
pub fn products(inputs: Vec<Input>) -> Result<Vec<PredictInput>, ServeError> {
    let mut columns: [Option<Vec<String>>; 2] = [None, None];
    let mut n_of: Option<(usize, &'static str)> = None;
    for (i, input) in inputs.into_iter().enumerate() {
        let Some(slot) = INPUTS.iter().position(|(name, _)| *name == input.name) else {
            return Err(invalid(
                &format!("inputs[{i}].name"),
                format!(
                    "unknown input {:?}; the inputs are designation and description",
                    input.name
                ),
            ));
        };
        let name = INPUTS[slot].0;
        if columns[slot].is_some() {
            return Err(invalid(name, "given twice"));
        }
        if input.datatype != "BYTES" {
            return Err(invalid(
                name,
                format!("datatype must be BYTES, not {:?}", input.datatype),
            ));
        }
        let n = match input.shape.as_slice() {
            [n] | [n, 1] if *n >= 0 => *n as usize,
            other => {
                return Err(invalid(
                    name,
                    format!("shape must be [N] or [N, 1], not {other:?}"),
                ));
            }
        };
        if input.elements.len() != n {
            return Err(invalid(
                name,
                format!(
                    "shape {:?} holds {n} elements, the data {}",
                    input.shape,
                    input.elements.len()
                ),
            ));
        }
        match n_of {
            Some((m, other)) if m != n => {
                return Err(invalid(name, format!("{n} elements, but {other} has {m}")));
            }
            _ => n_of = Some((n, name)),
        }
        let texts = input
            .elements
            .into_iter()
            .enumerate()
            .map(|(j, e)| {
                String::from_utf8(e)
                    .map_err(|_| invalid(&format!("{name}[{j}]"), "not valid UTF-8"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        columns[slot] = Some(texts);
    }
    let [designations, descriptions] = columns;
    let designations = designations.ok_or_else(|| ServeError::Missing {
        field: "inputs.designation".into(),
    })?;
    let mut descriptions = descriptions.map(Vec::into_iter);
    Ok(designations
        .into_iter()
        .map(|designation| PredictInput {
            designation,
            description: descriptions
                .as_mut()
                .and_then(Iterator::next)
                .unwrap_or_default(),
            imageid: None,
            top_k: None,
        })
        .collect())
}

/// Indices into [`OUTPUTS`] of the outputs asked for (every one when none is named).
pub fn requested_outputs(names: &[String]) -> Result<Vec<usize>, ServeError> {
    if names.is_empty() {
        return Ok((0..OUTPUTS.len()).collect());
    }
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            OUTPUTS
                .iter()
                .position(|(o, _, _)| o == name)
                .ok_or_else(|| {
                    invalid(
                        &format!("outputs[{i}].name"),
                        format!(
                            "unknown output {name:?}; the outputs are {}",
                            OUTPUTS.map(|o| o.0).join(", ")
                        ),
                    )
                })
        })
        .collect()
}

/// The output tensors of `outs` (one per product, in request order), in the order of `wanted`.
pub fn outputs(outs: &[PredictOutput], wanted: &[usize]) -> Vec<Output> {
    let n = outs.len() as i64;
    let k = outs
        .iter()
        .map(|o| o.prediction.top_k.len())
        .min()
        .unwrap_or(0);
    wanted
        .iter()
        .map(|&i| {
            let (name, datatype, _) = OUTPUTS[i];
            let (shape, data) = match name {
                "predicted_class" => (
                    vec![n],
                    Data::Int64(outs.iter().map(|o| o.prediction.predicted_class).collect()),
                ),
                "confidence" => (
                    vec![n],
                    Data::Fp32(outs.iter().map(|o| o.prediction.confidence).collect()),
                ),
                "top_k_classes" => (
                    vec![n, k as i64],
                    Data::Int64(
                        outs.iter()
                            .flat_map(|o| o.prediction.top_k[..k].iter().map(|&(c, _)| c))
                            .collect(),
                    ),
                ),
                "top_k_probabilities" => (
                    vec![n, k as i64],
                    Data::Fp32(
                        outs.iter()
                            .flat_map(|o| o.prediction.top_k[..k].iter().map(|&(_, p)| p))
                            .collect(),
                    ),
                ),
                _ => (
                    vec![n],
                    Data::Bytes(outs.iter().map(|o| o.prediction_id.clone()).collect()),
                ),
            };
            Output {
                name,
                datatype,
                shape,
                data,
            }
        })
        .collect()
}

/// Classifies the request's products with the model served: checked (model, outputs, tensors), then one batch
/// of the core. Every refusal is counted like the core's own.
pub async fn infer(core: &Core, r: InferRequest) -> Result<InferResponse, ServeError> {
    let checked = check_model(core, &r.model_name, &r.model_version)
        .and_then(|()| requested_outputs(&r.outputs))
        .and_then(|wanted| {
            if let Some(k) = r.top_k
                && !(1..=MAX_TOP_K as u64).contains(&k)
            {
                return Err(ServeError::TopK {
                    field: "parameters.top_k".into(),
                    max: MAX_TOP_K,
                });
            }
            Ok((wanted, products(r.inputs)?))
        });
    let (wanted, items) = match checked {
        Ok(c) => c,
        Err(e) => return Err(core.reject("predict_batch", e)),
    };
    let outs = core.predict_batch(items, r.top_k).await?;
    let model_version = outs
        .first()
        .map(|o| o.model.version_label.clone())
        .unwrap_or_default();
    Ok(InferResponse {
        model_name: core.model_name.clone(),
        model_version,
        id: r.id,
        outputs: outputs(&outs, &wanted),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, shape: Vec<i64>, elements: &[&str]) -> Input {
        Input {
            name: name.into(),
            datatype: "BYTES".into(),
            shape,
            elements: elements.iter().map(|e| e.as_bytes().to_vec()).collect(),
        }
    }

    #[test]
    fn raw_bytes_round_trip_and_truncation_is_an_error() {
        let data = Data::Bytes(vec!["é".into(), String::new(), "abc".into()]);
        let raw = data.raw();
        assert_eq!(&raw[..4], &2u32.to_le_bytes());
        let back = split_raw_bytes(&raw, "x").unwrap();
        assert_eq!(back, vec!["é".as_bytes().to_vec(), vec![], b"abc".to_vec()]);
        for cut in [raw.len() - 1, 2] {
            let e = split_raw_bytes(&raw[..cut], "inputs[0]").unwrap_err();
            assert_eq!(e.field(), Some("inputs[0]"), "{e}");
        }
        assert_eq!(Data::Int64(vec![1, -2]).raw().len(), 16);
        assert_eq!(Data::Fp32(vec![0.5]).raw(), 0.5f32.to_le_bytes().to_vec());
    }

    #[test]
    fn products_pair_designation_and_description() {
        let p = products(vec![
            input("description", vec![2, 1], &["<b>d0</b>", ""]),
            input("designation", vec![2], &["t0", "t1"]),
        ])
        .unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].designation.as_str(), p[0].description.as_str()),
            ("t0", "<b>d0</b>")
        );
        assert_eq!(
            (p[1].designation.as_str(), p[1].description.as_str()),
            ("t1", "")
        );
        let alone = products(vec![input("designation", vec![1], &["t"])]).unwrap();
        assert_eq!(alone[0].description, "");
    }

    #[test]
    fn malformed_tensors_name_what_is_wrong() {
        let cases: Vec<(Vec<Input>, &str)> = vec![
            (
                vec![input("description", vec![1], &["d"])],
                "inputs.designation",
            ),
            (vec![input("title", vec![1], &["t"])], "inputs[0].name"),
            (vec![input("designation", vec![2], &["t"])], "designation"),
            (
                vec![input("designation", vec![1, 2], &["a", "b"])],
                "designation",
            ),
            (
                vec![
                    input("designation", vec![2], &["a", "b"]),
                    input("description", vec![1], &["d"]),
                ],
                "description",
            ),
            (
                vec![
                    input("designation", vec![1], &["a"]),
                    input("designation", vec![1], &["a"]),
                ],
                "designation",
            ),
            (
                vec![Input {
                    elements: vec![vec![0xff, 0xfe]],
                    ..input("designation", vec![1], &["x"])
                }],
                "designation[0]",
            ),
            (
                vec![Input {
                    datatype: "FP32".into(),
                    ..input("designation", vec![1], &["x"])
                }],
                "designation",
            ),
        ];
        for (inputs, field) in cases {
            let e = products(inputs).unwrap_err();
            assert_eq!(e.field(), Some(field), "{e}");
            assert!(e.is_client_error(), "{e}");
        }
        let e = requested_outputs(&["predicted_class".into(), "logits".into()]).unwrap_err();
        assert_eq!(e.field(), Some("outputs[1].name"));
        assert_eq!(requested_outputs(&["confidence".into()]).unwrap(), vec![1]);
    }
}
