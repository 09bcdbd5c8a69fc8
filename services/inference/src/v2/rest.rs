//! The Open Inference Protocol over HTTP: `GET /v2`, `/v2/health/live`, `/v2/health/ready`,
//! `GET /v2/models/{name}[/versions/{version}]`, `…/ready` and `POST …/infer`, in JSON and with the binary tensor
//! data extension (`Inference-Header-Content-Length`: the JSON header first, then each binary tensor's bytes in
//! order), which tritonclient uses by default. Errors are `{"error": "…"}` (with our `field` and `error_type`
//! beside it) and the statuses of our own API.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tracing::Instrument;

use super::{InferRequest, Input, OUTPUTS, invalid, split_raw_bytes};
use crate::core::Core;
use crate::error::ServeError;

fn error(e: ServeError) -> Response {
    e.response()
}
use crate::trace;

/// The header giving the JSON part's length when binary tensor data follows it.
pub const HEADER_LENGTH: &str = "inference-header-content-length";

/// The routes that need a key when the service has keys (the model's metadata, readiness and infer).
pub fn keyed_routes() -> Router<Arc<Core>> {
    Router::new()
        .route("/v2/models/{name}", get(model_metadata))
        .route("/v2/models/{name}/versions/{version}", get(model_metadata))
        .route("/v2/models/{name}/ready", get(model_ready))
        .route(
            "/v2/models/{name}/versions/{version}/ready",
            get(model_ready),
        )
        .route("/v2/models/{name}/infer", post(infer))
        .route("/v2/models/{name}/versions/{version}/infer", post(infer))
}

/// The server's metadata and health, open like the other probes.
pub fn open_routes() -> Router<Arc<Core>> {
    Router::new()
        .route("/v2", get(server_metadata))
        .route("/v2/health/live", get(live))
        .route("/v2/health/ready", get(ready))
}

#[derive(Deserialize)]
struct ModelPath {
    name: String,
    version: Option<String>,
}

async fn server_metadata() -> Response {
    axum::Json(json!({
        "name": super::SERVER_NAME,
        "version": env!("CARGO_PKG_VERSION"),
        "extensions": ["binary_tensor_data"],
    }))
    .into_response()
}

async fn live() -> Response {
    axum::Json(json!({ "live": true })).into_response()
}

async fn ready(State(core): State<Arc<Core>>) -> Response {
    let ready = core.ready();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(json!({ "ready": ready }))).into_response()
}

async fn model_ready(State(core): State<Arc<Core>>, Path(p): Path<ModelPath>) -> Response {
    match super::model_ready(&core, &p.name, p.version.as_deref().unwrap_or_default()) {
        Ok(true) => (StatusCode::OK, axum::Json(json!({ "ready": true }))).into_response(),
        Ok(false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "ready": false })),
        )
            .into_response(),
        Err(e) => error(e),
    }
}

async fn model_metadata(State(core): State<Arc<Core>>, Path(p): Path<ModelPath>) -> Response {
    match super::metadata(&core, &p.name, p.version.as_deref().unwrap_or_default()) {
        Ok(m) => {
            let tensors = |ts: &[(&str, &str, Vec<i64>)]| -> Vec<Value> {
                ts.iter()
                    .map(|(name, datatype, shape)| {
                        json!({ "name": name, "datatype": datatype, "shape": shape })
                    })
                    .collect()
            };
            axum::Json(json!({
                "name": m.name,
                "versions": m.versions,
                "platform": super::PLATFORM,
                "inputs": tensors(&m.inputs),
                "outputs": tensors(&m.outputs),
            }))
            .into_response()
        }
        Err(e) => error(e),
    }
}

#[derive(Deserialize)]
struct JsonRequest {
    id: Option<String>,
    parameters: Option<Map<String, Value>>,
    inputs: Option<Vec<JsonInput>>,
    outputs: Option<Vec<JsonOutput>>,
}

#[derive(Deserialize)]
struct JsonInput {
    name: String,
    shape: Vec<i64>,
    datatype: String,
    parameters: Option<Map<String, Value>>,
    data: Option<Value>,
}

#[derive(Deserialize)]
struct JsonOutput {
    name: String,
    parameters: Option<Map<String, Value>>,
}

/// The request as the core takes it, and for each output asked for, whether it goes back as binary data.
fn decode(
    core: &Core,
    p: ModelPath,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(InferRequest, Vec<bool>), ServeError> {
    let body = body.map_err(|r| match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ServeError::BodyTooLarge {
            limit: core.limits.max_body_bytes,
        },
        _ => ServeError::InvalidJson(r.body_text()),
    })?;
    let json_len = match headers.get(HEADER_LENGTH) {
        None => body.len(),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n <= body.len())
            .ok_or_else(|| {
                invalid(
                    "Inference-Header-Content-Length",
                    format!("must be a length within the body's {} bytes", body.len()),
                )
            })?,
    };
    let (head, mut binary) = body.split_at(json_len);
    let mut de = serde_json::Deserializer::from_slice(head);
    let r: JsonRequest = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        ServeError::InvalidJson(format!("{path}: {}", e.into_inner()))
    })?;
    de.end()
        .map_err(|e| ServeError::InvalidJson(e.to_string()))?;
    let parameters = r.parameters.unwrap_or_default();
    let top_k = match parameters.get("top_k") {
        None => None,
        Some(v) => Some(v.as_u64().ok_or(ServeError::WrongType {
            field: "parameters.top_k".into(),
            expected: "a non-negative integer",
        })?),
    };
    let binary_default = parameters.get("binary_data_output") == Some(&Value::Bool(true));
    let inputs = r.inputs.ok_or_else(|| ServeError::Missing {
        field: "inputs".into(),
    })?;
    let mut decoded = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.into_iter().enumerate() {
        let size = input
            .parameters
            .as_ref()
            .and_then(|p| p.get("binary_data_size"));
        let elements = match (size, input.data) {
            (Some(size), None) => {
                let size = size
                    .as_u64()
                    .map(|s| s as usize)
                    .filter(|&s| s <= binary.len())
                    .ok_or_else(|| {
                        invalid(
                            &format!("inputs[{i}].parameters.binary_data_size"),
                            format!(
                                "must be a length within the {} binary bytes left",
                                binary.len()
                            ),
                        )
                    })?;
                let (raw, rest) = binary.split_at(size);
                binary = rest;
                if input.datatype != "BYTES" {
                    // Refused by name below, with the reason.
                    Vec::new()
                } else {
                    split_raw_bytes(raw, &format!("inputs[{i}]"))?
                }
            }
            (None, Some(data)) => json_bytes(data, i)?,
            (Some(_), Some(_)) => {
                return Err(invalid(
                    &format!("inputs[{i}]"),
                    "has both data and binary_data_size",
                ));
            }
            (None, None) => {
                return Err(ServeError::Missing {
                    field: format!("inputs[{i}].data"),
                });
            }
        };
        decoded.push(Input {
            name: input.name,
            datatype: input.datatype,
            shape: input.shape,
            elements,
        });
    }
    if !binary.is_empty() {
        return Err(invalid(
            "body",
            format!("{} bytes of binary data follow the inputs", binary.len()),
        ));
    }
    let outputs = r.outputs.unwrap_or_default();
    let binary_out = if outputs.is_empty() {
        vec![binary_default; OUTPUTS.len()]
    } else {
        outputs
            .iter()
            .map(
                |o| match o.parameters.as_ref().and_then(|p| p.get("binary_data")) {
                    Some(Value::Bool(b)) => *b,
                    _ => binary_default,
                },
            )
            .collect()
    };
    Ok((
        InferRequest {
            model_name: p.name,
            model_version: p.version.unwrap_or_default(),
            id: r.id.unwrap_or_default(),
            top_k,
            inputs: decoded,
            outputs: outputs.into_iter().map(|o| o.name).collect(),
        },
        binary_out,
    ))
}

/// A BYTES tensor's JSON data: strings, in a flat or nested array (row-major).
fn json_bytes(data: Value, i: usize) -> Result<Vec<Vec<u8>>, ServeError> {
    let mut out = Vec::new();
    let mut stack = vec![data];
    // Depth-first, left to right: push children reversed.
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => out.push(s.into_bytes()),
            Value::Array(items) => stack.extend(items.into_iter().rev()),
            other => {
                return Err(invalid(
                    &format!("inputs[{i}].data"),
                    format!("BYTES elements must be strings, not {other}"),
                ));
            }
        }
    }
    Ok(out)
}

async fn infer(
    State(core): State<Arc<Core>>,
    Path(p): Path<ModelPath>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let span = trace::request_span("http", "POST /v2/models/{name}/infer", &headers);
    async move {
        let decoded = tracing::info_span!("decode").in_scope(|| decode(&core, p, &headers, body));
        let (request, binary_out) = match decoded {
            Ok(d) => d,
            Err(e) => return error(core.reject("predict_batch", e)),
        };
        match super::infer(&core, request).await {
            Ok(answer) => encode(answer, &binary_out),
            Err(e) => error(e),
        }
    }
    .instrument(span)
    .await
}

/// JSON when no output goes back as binary data; otherwise the JSON header, then the binary outputs' bytes in
/// order, with the header's length in `Inference-Header-Content-Length`.
fn encode(answer: super::InferResponse, binary_out: &[bool]) -> Response {
    let mut tail = Vec::new();
    let outputs: Vec<Value> = answer
        .outputs
        .iter()
        .zip(binary_out)
        .map(|(o, &binary)| {
            if binary {
                let raw = o.data.raw();
                let size = raw.len();
                tail.extend_from_slice(&raw);
                json!({ "name": o.name, "datatype": o.datatype, "shape": o.shape,
                        "parameters": { "binary_data_size": size } })
            } else {
                json!({ "name": o.name, "datatype": o.datatype, "shape": o.shape, "data": o.data.json() })
            }
        })
        .collect();
    let mut head = json!({
        "model_name": answer.model_name,
        "model_version": answer.model_version,
        "outputs": outputs,
    });
    if !answer.id.is_empty() {
        head["id"] = Value::String(answer.id);
    }
    if !binary_out.iter().any(|&b| b) {
        return axum::Json(head).into_response();
    }
    let mut body = serde_json::to_vec(&head).expect("a JSON value serializes");
    let json_len = body.len();
    body.extend_from_slice(&tail);
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::HeaderName::from_static(HEADER_LENGTH),
                json_len.to_string(),
            ),
        ],
        body,
    )
        .into_response()
}
