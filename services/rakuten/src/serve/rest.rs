//! The REST gateway: the original system's JSON contract over the same core as gRPC (no second hop).
//! Bodies are decoded here by hand (bytes → UTF-8 → JSON → fields) so that every mistake becomes a JSON error
//! naming its field, never axum's plain-text rejection.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value};

use super::core::{Core, PredictInput, PredictOutput};
use super::error::ServeError;
use super::health;

/// Routes: `POST /predict`, `POST /predict/batch`, `GET /health`, `GET /models/current`, `GET /metrics`,
/// `GET /openapi.json`.
pub fn router(core: Arc<Core>) -> Router {
    let limit = core.limits.max_body_bytes;
    Router::new()
        .route("/predict", post(predict))
        .route("/predict/batch", post(predict_batch))
        .route("/health", get(health::health))
        .route("/models/current", get(current_model))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(core)
}

async fn predict(State(core): State<Arc<Core>>, body: Result<Bytes, BytesRejection>) -> Response {
    let input = match decode(&core, body).and_then(|v| item(&v, "")) {
        Ok(i) => i,
        Err(e) => return error(core.reject(e)),
    };
    match core.predict(input).await {
        Ok(out) => axum::Json(PredictBody::from(&out)).into_response(),
        Err(e) => error(e),
    }
}

/// `{"items": [{…}, …], "top_k"?: n}` → `{"predictions": [{…}, …]}` in request order.
async fn predict_batch(
    State(core): State<Arc<Core>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let request = decode(&core, body).and_then(|v| batch(&core, &v));
    let (items, top_k) = match request {
        Ok(r) => r,
        Err(e) => return error(core.reject(e)),
    };
    match core.predict_batch(items, top_k).await {
        Ok(outs) => {
            let predictions = outs.iter().map(PredictBody::from).collect();
            axum::Json(BatchBody { predictions }).into_response()
        }
        Err(e) => error(e),
    }
}

async fn current_model(State(core): State<Arc<Core>>) -> Response {
    match core.current() {
        Ok(m) => {
            let info = super::grpc::model_info(&m, core.slot.stage_of(&m));
            axum::Json(serde_json::json!({
                "name": info.name, "version": info.version, "stage": info.stage, "metrics": info.metrics,
                "loaded_at": info.loaded_at, "model_type": info.model_type, "holdout_id": info.holdout_id,
                "artifact_sha256": m.version.artifact_sha256,
            }))
            .into_response()
        }
        Err(e) => error(e),
    }
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        super::openapi::DOCUMENT,
    )
        .into_response()
}

async fn not_found() -> Response {
    let body = serde_json::json!({ "error": "no such route; see GET /openapi.json", "error_type": "not_found" });
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

pub fn error(e: ServeError) -> Response {
    (e.http_status(), axum::Json(e.body())).into_response()
}

/// The body as a JSON value: over the limit → 413, not UTF-8 → 400, not JSON → 400.
fn decode(core: &Core, body: Result<Bytes, BytesRejection>) -> Result<Value, ServeError> {
    let bytes = body.map_err(|r| match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ServeError::BodyTooLarge {
            limit: core.limits.max_body_bytes,
        },
        _ => ServeError::InvalidJson(r.body_text()),
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| ServeError::InvalidUtf8)?;
    serde_json::from_str(text).map_err(|e| ServeError::InvalidJson(e.to_string()))
}

fn object<'a>(v: &'a Value, field: &str) -> Result<&'a Map<String, Value>, ServeError> {
    v.as_object().ok_or_else(|| ServeError::WrongType {
        field: field.to_string(),
        expected: "a JSON object",
    })
}

/// One product: `{"designation": str, "description"?: str, "imageid"?: int, "top_k"?: int}`.
fn item(v: &Value, prefix: &str) -> Result<PredictInput, ServeError> {
    let o = object(v, prefix.strip_suffix('.').unwrap_or("body"))?;
    let field = |name: &str| format!("{prefix}{name}");
    let text = |name: &str| -> Result<Option<String>, ServeError> {
        match o.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ServeError::WrongType {
                field: field(name),
                expected: "a string",
            }),
        }
    };
    let integer = |name: &str, signed: bool| -> Result<Option<i64>, ServeError> {
        match o.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.as_i64().is_some_and(|i| signed || i >= 0) => {
                Ok(n.as_i64())
            }
            Some(_) => Err(ServeError::WrongType {
                field: field(name),
                expected: if signed {
                    "an integer"
                } else {
                    "a non-negative integer"
                },
            }),
        }
    };
    Ok(PredictInput {
        designation: text("designation")?.ok_or_else(|| ServeError::Missing {
            field: field("designation"),
        })?,
        description: text("description")?.unwrap_or_default(),
        imageid: integer("imageid", true)?,
        top_k: integer("top_k", false)?.map(|k| k as u64),
    })
}

fn batch(core: &Core, v: &Value) -> Result<(Vec<PredictInput>, Option<u64>), ServeError> {
    let o = object(v, "body")?;
    let items = match o.get("items") {
        None | Some(Value::Null) => {
            return Err(ServeError::Missing {
                field: "items".into(),
            });
        }
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(ServeError::WrongType {
                field: "items".into(),
                expected: "an array of products",
            });
        }
    };
    core.check_batch_len(items.len())?;
    let top_k = match o.get("top_k") {
        None | Some(Value::Null) => None,
        Some(k) => Some(k.as_u64().ok_or_else(|| ServeError::WrongType {
            field: "top_k".into(),
            expected: "a non-negative integer",
        })?),
    };
    let items = items
        .iter()
        .enumerate()
        .map(|(i, v)| item(v, &format!("items[{i}].")))
        .collect::<Result<_, _>>()?;
    Ok((items, top_k))
}

/// `{"predicted_class", "probabilities": {"<code>": p, …}, "confidence", "prediction_id", "model_version"}`.
#[derive(Serialize)]
struct PredictBody<'a> {
    predicted_class: i64,
    probabilities: Probabilities<'a>,
    confidence: f32,
    prediction_id: &'a str,
    model_version: &'a str,
}

impl<'a> From<&'a PredictOutput> for PredictBody<'a> {
    fn from(o: &'a PredictOutput) -> Self {
        PredictBody {
            predicted_class: o.prediction.predicted_class,
            probabilities: Probabilities(&o.prediction.top_k),
            confidence: o.prediction.confidence,
            prediction_id: &o.prediction_id,
            model_version: &o.model.version_label,
        }
    }
}

#[derive(Serialize)]
struct BatchBody<'a> {
    predictions: Vec<PredictBody<'a>>,
}

/// The top classes as a JSON object keyed by code, most probable first.
struct Probabilities<'a>(&'a [(i64, f32)]);

impl Serialize for Probabilities<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (code, p) in self.0 {
            m.serialize_entry(&code.to_string(), p)?;
        }
        m.end()
    }
}
