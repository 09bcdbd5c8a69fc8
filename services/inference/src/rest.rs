//! The REST gateway: the original system's JSON contract over the same core as gRPC (no second hop).
//! Bodies are decoded here (bytes → UTF-8 → derived request structs through `serde_path_to_error`) rather than
//! by axum's `Json` extractor, so that every mistake becomes a JSON error naming its field path
//! (`items[3].designation`), never axum's plain-text rejection.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use crate::core::{Core, PredictInput, PredictOutput};
use crate::error::ServeError;
use crate::{health, trace};

/// Routes: `POST /predict`, `POST /predict/batch`, `GET /health`, `GET /livez`, `GET /readyz`,
/// `GET /models/current`, `GET /metrics`, `GET /openapi.json`, and the Open Inference Protocol's `/v2/…`
/// ([`crate::v2::rest`]).
pub fn router(core: Arc<Core>) -> Router {
    let limit = core.limits.max_body_bytes;
    // With API keys, the prediction and model endpoints require one; probes, health, metrics and the API
    // description stay open.
    let keyed = Router::new()
        .route("/predict", post(predict))
        .route("/predict/batch", post(predict_batch))
        .route("/models/current", get(current_model))
        .merge(crate::v2::rest::keyed_routes())
        .route_layer(axum::middleware::from_fn_with_state(
            core.clone(),
            require_key,
        ));
    Router::new()
        .merge(keyed)
        .merge(crate::v2::rest::open_routes())
        .route("/health", get(health::health))
        .route("/livez", get(health::livez))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(core)
}

async fn predict(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let span = trace::request_span("http", "POST /predict", &headers);
    async move {
        let input = tracing::info_span!("decode")
            .in_scope(|| decode::<ProductBody>(&core, body).and_then(|p| p.input("")));
        let input = match input {
            Ok(i) => i,
            Err(e) => return error(core.reject("predict", e)),
        };
        match core.predict(input).await {
            Ok(out) => axum::Json(PredictBody::from(&out)).into_response(),
            Err(e) => error(e),
        }
    }
    .instrument(span)
    .await
}

/// `{"items": [{…}, …], "top_k"?: n}` → `{"predictions": [{…}, …]}` in request order.
async fn predict_batch(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let span = trace::request_span("http", "POST /predict/batch", &headers);
    async move {
        let request = tracing::info_span!("decode")
            .in_scope(|| decode::<BatchRequest>(&core, body).and_then(|b| b.inputs(&core)));
        let (items, top_k) = match request {
            Ok(r) => r,
            Err(e) => return error(core.reject("predict_batch", e)),
        };
        match core.predict_batch(items, top_k).await {
            Ok(outs) => {
                let predictions = outs.iter().map(PredictBody::from).collect();
                axum::Json(BatchBody { predictions }).into_response()
            }
            Err(e) => error(e),
        }
    }
    .instrument(span)
    .await
}

async fn current_model(State(core): State<Arc<Core>>) -> Response {
    match core.current() {
        Ok(m) => {
            let info = crate::grpc::model_info(&m, core.slot.stage_of(&m));
            axum::Json(serde_json::json!({
                "name": info.name, "version": info.version, "stage": info.stage, "metrics": info.metrics,
                "loaded_at": info.loaded_at, "model_type": info.model_type, "holdout_id": info.holdout_id,
                "artifact_sha256": m.version.artifact_sha256,
                "shadow": core.shadow.stats(),
            }))
            .into_response()
        }
        Err(e) => error(e),
    }
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::DOCUMENT,
    )
        .into_response()
}

async fn not_found() -> Response {
    let body = serde_json::json!({ "error": "no such route; see GET /openapi.json", "error_type": "not_found" });
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

/// The REST answer to an error (see [`ServeError::response`]).
pub fn error(e: ServeError) -> Response {
    e.response()
}

/// One product: `{"designation": str, "description"?: str, "imageid"?: int, "top_k"?: int}`. Every field is
/// optional here so that a missing one is reported by name (`null` counts as missing); unknown fields are
/// ignored.
#[derive(Deserialize)]
struct ProductBody {
    designation: Option<String>,
    description: Option<String>,
    imageid: Option<i64>,
    top_k: Option<u64>,
}

/// `{"items": [product, …], "top_k"?: int}`.
#[derive(Deserialize)]
struct BatchRequest {
    items: Option<Vec<ProductBody>>,
    top_k: Option<u64>,
}

impl ProductBody {
    /// `prefix` is where the product sits in the body (`items[3].`), for the field names of errors.
    fn input(self, prefix: &str) -> Result<PredictInput, ServeError> {
        Ok(PredictInput {
            designation: self.designation.ok_or_else(|| ServeError::Missing {
                field: format!("{prefix}designation"),
            })?,
            description: self.description.unwrap_or_default(),
            imageid: self.imageid,
            top_k: self.top_k,
        })
    }
}

impl BatchRequest {
    fn inputs(self, core: &Core) -> Result<(Vec<PredictInput>, Option<u64>), ServeError> {
        let items = self.items.ok_or_else(|| ServeError::Missing {
            field: "items".into(),
        })?;
        core.check_batch_len(items.len())?;
        let items = items
            .into_iter()
            .enumerate()
            .map(|(i, p)| p.input(&format!("items[{i}].")))
            .collect::<Result<_, _>>()?;
        Ok((items, self.top_k))
    }
}

/// The body as `T`: over the limit → 413, not UTF-8 → 400, not JSON → 400, a field of the wrong type → 422
/// naming its path.
fn decode<T: DeserializeOwned>(
    core: &Core,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ServeError> {
    let bytes = body.map_err(|r| match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ServeError::BodyTooLarge {
            limit: core.limits.max_body_bytes,
        },
        _ => ServeError::InvalidJson(r.body_text()),
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| ServeError::InvalidUtf8)?;
    let mut json = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.classify() != serde_json::error::Category::Data {
            return ServeError::InvalidJson(inner.to_string());
        }
        let field = if path == "." {
            "body".to_string()
        } else {
            path
        };
        ServeError::WrongType {
            expected: expected_type(&field),
            field,
        }
    })?;
    json.end()
        .map_err(|e| ServeError::InvalidJson(e.to_string()))?;
    Ok(value)
}

/// What a field must be, by its name (the last segment of its path).
fn expected_type(field: &str) -> &'static str {
    match field.rsplit('.').next().unwrap_or(field) {
        "designation" | "description" => "a string",
        "imageid" => "an integer",
        "top_k" => "a non-negative integer",
        "items" => "an array of products",
        _ => "a JSON object", // the body, or one item of a batch
    }
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

/// With API keys, the request goes on with an accepted key, else 401 (counted).
async fn require_key(
    State(core): State<Arc<Core>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let Some(keys) = &core.api_keys else {
        return next.run(request).await;
    };
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    if keys.accepts(header) {
        return next.run(request).await;
    }
    core.metrics.api_error("unauthenticated");
    let body = serde_json::json!({
        "error": crate::auth::UNAUTHENTICATED,
        "error_type": "unauthenticated",
    });
    let mut response = (http::StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    response
}
