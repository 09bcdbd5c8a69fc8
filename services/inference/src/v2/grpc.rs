//! The Open Inference Protocol over gRPC: `inference.GRPCInferenceService` (ServerLive, ServerReady,
//! ModelReady, ServerMetadata, ModelMetadata, ModelInfer). Inputs come as `contents.bytes_contents` or in
//! `raw_input_contents`; outputs always go back in `raw_output_contents`, as the reference server answers and
//! every client reads.

use std::sync::Arc;

use rakuten_proto::kserve::grpc_inference_service_server::GrpcInferenceService;
use rakuten_proto::kserve::infer_parameter::ParameterChoice;
use rakuten_proto::kserve::model_infer_response::InferOutputTensor;
use rakuten_proto::kserve::model_metadata_response::TensorMetadata;
use rakuten_proto::kserve::{
    InferParameter, ModelInferRequest, ModelInferResponse, ModelMetadataRequest,
    ModelMetadataResponse, ModelReadyRequest, ModelReadyResponse, ServerLiveRequest,
    ServerLiveResponse, ServerMetadataRequest, ServerMetadataResponse, ServerReadyRequest,
    ServerReadyResponse,
};
use tonic::{Request, Response, Status};
use tracing::Instrument;

use super::{InferRequest, Input, invalid, split_raw_bytes};
use crate::core::Core;
use crate::error::ServeError;
use crate::trace;

pub struct V2Service {
    pub core: Arc<Core>,
}

/// The request as the core takes it.
fn decode(r: ModelInferRequest) -> Result<InferRequest, ServeError> {
    let top_k = match r.parameters.get("top_k") {
        None => None,
        Some(InferParameter {
            parameter_choice: Some(ParameterChoice::Int64Param(k)),
        }) => Some(u64::try_from(*k).unwrap_or(0)),
        Some(InferParameter {
            parameter_choice: Some(ParameterChoice::Uint64Param(k)),
        }) => Some(*k),
        Some(_) => {
            return Err(ServeError::WrongType {
                field: "parameters.top_k".into(),
                expected: "an integer",
            });
        }
    };
    let raw = !r.raw_input_contents.is_empty();
    if raw && r.raw_input_contents.len() != r.inputs.len() {
        return Err(invalid(
            "raw_input_contents",
            format!(
                "{} entries for {} inputs",
                r.raw_input_contents.len(),
                r.inputs.len()
            ),
        ));
    }
    let mut raw_contents = r.raw_input_contents.into_iter();
    let mut inputs = Vec::with_capacity(r.inputs.len());
    for (i, input) in r.inputs.into_iter().enumerate() {
        let contents = input.contents.unwrap_or_default();
        let elements = if raw {
            if !contents.bytes_contents.is_empty() {
                return Err(invalid(
                    &format!("inputs[{i}].contents"),
                    "given with raw_input_contents",
                ));
            }
            let data = raw_contents.next().unwrap_or_default();
            if input.datatype == "BYTES" {
                split_raw_bytes(&data, &format!("raw_input_contents[{i}]"))?
            } else {
                // Refused by name, with the reason, when the products are read.
                Vec::new()
            }
        } else {
            contents.bytes_contents
        };
        inputs.push(Input {
            name: input.name,
            datatype: input.datatype,
            shape: input.shape,
            elements,
        });
    }
    Ok(InferRequest {
        model_name: r.model_name,
        model_version: r.model_version,
        id: r.id,
        top_k,
        inputs,
        outputs: r.outputs.into_iter().map(|o| o.name).collect(),
    })
}

#[tonic::async_trait]
impl GrpcInferenceService for V2Service {
    async fn server_live(
        &self,
        _request: Request<ServerLiveRequest>,
    ) -> Result<Response<ServerLiveResponse>, Status> {
        Ok(Response::new(ServerLiveResponse { live: true }))
    }

    async fn server_ready(
        &self,
        _request: Request<ServerReadyRequest>,
    ) -> Result<Response<ServerReadyResponse>, Status> {
        Ok(Response::new(ServerReadyResponse {
            ready: self.core.ready(),
        }))
    }

    async fn model_ready(
        &self,
        request: Request<ModelReadyRequest>,
    ) -> Result<Response<ModelReadyResponse>, Status> {
        let r = request.into_inner();
        let ready =
            super::model_ready(&self.core, &r.name, &r.version).map_err(|e| e.to_status())?;
        Ok(Response::new(ModelReadyResponse { ready }))
    }

    async fn server_metadata(
        &self,
        _request: Request<ServerMetadataRequest>,
    ) -> Result<Response<ServerMetadataResponse>, Status> {
        Ok(Response::new(ServerMetadataResponse {
            name: super::SERVER_NAME.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            extensions: Vec::new(),
        }))
    }

    async fn model_metadata(
        &self,
        request: Request<ModelMetadataRequest>,
    ) -> Result<Response<ModelMetadataResponse>, Status> {
        let r = request.into_inner();
        let m = super::metadata(&self.core, &r.name, &r.version).map_err(|e| e.to_status())?;
        let tensors = |ts: Vec<(&str, &str, Vec<i64>)>| {
            ts.into_iter()
                .map(|(name, datatype, shape)| TensorMetadata {
                    name: name.into(),
                    datatype: datatype.into(),
                    shape,
                })
                .collect()
        };
        Ok(Response::new(ModelMetadataResponse {
            name: m.name,
            versions: m.versions,
            platform: super::PLATFORM.into(),
            inputs: tensors(m.inputs),
            outputs: tensors(m.outputs),
        }))
    }

    async fn model_infer(
        &self,
        request: Request<ModelInferRequest>,
    ) -> Result<Response<ModelInferResponse>, Status> {
        let (metadata, _, message) = request.into_parts();
        let span = trace::request_span(
            "grpc",
            "inference.GRPCInferenceService/ModelInfer",
            &metadata.into_headers(),
        );
        async move {
            let request = tracing::info_span!("decode")
                .in_scope(|| decode(message))
                .map_err(|e| self.core.reject("predict_batch", e).to_status())?;
            let answer = super::infer(&self.core, request)
                .await
                .map_err(|e| e.to_status())?;
            let raw_output_contents = answer.outputs.iter().map(|o| o.data.raw()).collect();
            Ok(Response::new(ModelInferResponse {
                model_name: answer.model_name,
                model_version: answer.model_version,
                id: answer.id,
                parameters: Default::default(),
                outputs: answer
                    .outputs
                    .into_iter()
                    .map(|o| InferOutputTensor {
                        name: o.name.into(),
                        datatype: o.datatype.into(),
                        shape: o.shape,
                        parameters: Default::default(),
                        contents: None,
                    })
                    .collect(),
                raw_output_contents,
            }))
        }
        .instrument(span)
        .await
    }
}
