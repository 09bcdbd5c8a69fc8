//! The gRPC adapter: `rakuten.inference.v1.InferenceService` over the core, message in, message out.

use std::sync::Arc;

use rakuten_proto::v1::inference_service_server::InferenceService;
use rakuten_proto::v1::{
    ClassProbability, GetModelRequest, ModelInfo, PredictBatchRequest, PredictBatchResponse,
    PredictRequest, PredictResponse,
};
use tonic::{Request, Response, Status};
use tracing::Instrument;

use crate::core::{Core, LoadedModel, PredictInput, PredictOutput};
use crate::trace;

pub struct GrpcService {
    pub core: Arc<Core>,
}

fn input(r: PredictRequest) -> PredictInput {
    PredictInput {
        designation: r.designation,
        description: r.description,
        imageid: r.imageid,
        top_k: r.top_k.map(u64::from),
    }
}

fn output(o: PredictOutput) -> PredictResponse {
    PredictResponse {
        predicted_class: o.prediction.predicted_class,
        confidence: o.prediction.confidence,
        top_k: o
            .prediction
            .top_k
            .iter()
            .map(|&(prdtypecode, probability)| ClassProbability {
                prdtypecode,
                probability,
            })
            .collect(),
        prediction_id: o.prediction_id,
        model_name: o.model.version.name.clone(),
        model_version: o.model.version_label.clone(),
    }
}

/// The model's description, shared with `GET /models/current`; `stage` is its stage now
/// ([`crate::core::ModelSlot::stage_of`]).
pub fn model_info(m: &LoadedModel, stage: String) -> ModelInfo {
    let v = &m.version;
    let metrics = v
        .metrics
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_f64()?)))
                .collect()
        })
        .unwrap_or_default();
    ModelInfo {
        name: v.name.clone(),
        version: m.version_label.clone(),
        stage,
        metrics,
        loaded_at: m.loaded_at.to_rfc3339(),
        model_type: m.classifier.config().model_type.as_str().to_string(),
        holdout_id: v.holdout_id.clone().unwrap_or_default(),
    }
}

#[tonic::async_trait]
impl InferenceService for GrpcService {
    async fn predict(
        &self,
        request: Request<PredictRequest>,
    ) -> Result<Response<PredictResponse>, Status> {
        let (metadata, _, message) = request.into_parts();
        let span = trace::request_span("grpc", "Predict", &metadata.into_headers());
        async move {
            let item = tracing::info_span!("decode").in_scope(|| input(message));
            let out = self.core.predict(item).await.map_err(|e| e.to_status())?;
            Ok(Response::new(output(out)))
        }
        .instrument(span)
        .await
    }

    async fn predict_batch(
        &self,
        request: Request<PredictBatchRequest>,
    ) -> Result<Response<PredictBatchResponse>, Status> {
        let (metadata, _, r) = request.into_parts();
        let span = trace::request_span("grpc", "PredictBatch", &metadata.into_headers());
        async move {
            let items =
                tracing::info_span!("decode").in_scope(|| r.items.into_iter().map(input).collect());
            let outs = self
                .core
                .predict_batch(items, r.top_k.map(u64::from))
                .await
                .map_err(|e| e.to_status())?;
            Ok(Response::new(PredictBatchResponse {
                predictions: outs.into_iter().map(output).collect(),
            }))
        }
        .instrument(span)
        .await
    }

    async fn get_model(
        &self,
        _request: Request<GetModelRequest>,
    ) -> Result<Response<ModelInfo>, Status> {
        let m = self.core.current().map_err(|e| e.to_status())?;
        Ok(Response::new(model_info(&m, self.core.slot.stage_of(&m))))
    }
}

/// The inference service's interceptor: with API keys, metadata `authorization: Bearer <key>` is required
/// (UNAUTHENTICATED otherwise, counted).
#[derive(Clone)]
pub struct KeyCheck(pub Arc<Core>);

impl tonic::service::Interceptor for KeyCheck {
    fn call(&mut self, request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let Some(keys) = &self.0.api_keys else {
            return Ok(request);
        };
        let header = request
            .metadata()
            .get("authorization")
            .map(|v| v.as_bytes());
        if keys.accepts(header) {
            Ok(request)
        } else {
            self.0.metrics.api_error("unauthenticated");
            Err(tonic::Status::unauthenticated(crate::auth::UNAUTHENTICATED))
        }
    }
}
