//! The one error table of the inference service: each error maps here, once, to an HTTP status, a gRPC code,
//! the metric label `error_type` and the field it concerns. A client's mistake is never a 5xx.

use http::StatusCode;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServeError {
    #[error("request body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("{}", rakuten_proto::INVALID_UTF8)]
    InvalidUtf8,
    #[error("request body is over {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("{field} is required")]
    Missing { field: String },
    #[error("{field} must be {expected}")]
    WrongType {
        field: String,
        expected: &'static str,
    },
    #[error("{field} must not be empty")]
    Empty { field: String },
    #[error("{field} is over {limit} characters")]
    TextTooLong { field: String, limit: usize },
    #[error("a batch holds at most {limit} items")]
    BatchTooLarge { limit: usize },
    #[error("{field} must be between 1 and {max}")]
    TopK { field: String, max: usize },
    #[error("{field}: {reason}")]
    InvalidTensor { field: String, reason: String },
    #[error("{0}")]
    UnknownModel(String),
    #[error("no model is loaded: no version of {model} is in Production yet, or it failed to load")]
    NoModel { model: String },
    #[error("the service is at capacity ({limit}); retry after {retry_after_secs} s")]
    Overloaded {
        limit: &'static str,
        retry_after_secs: u64,
    },
    #[error("the request took longer than {seconds} s and was abandoned")]
    Timeout { seconds: f64 },
    #[error("internal error: {0}")]
    Internal(String),
}

/// The JSON body of every REST error: `{"error": "...", "field": "..."}` (`field` absent when none applies).
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub error_type: &'static str,
}

impl ServeError {
    /// The client's mistake (4xx), as opposed to the service's (no model, an internal failure: 5xx).
    pub fn is_client_error(&self) -> bool {
        self.http_status().is_client_error()
    }

    pub fn http_status(&self) -> StatusCode {
        use ServeError::*;
        match self {
            InvalidJson(_) | InvalidUtf8 | InvalidTensor { .. } => StatusCode::BAD_REQUEST,
            UnknownModel(_) => StatusCode::NOT_FOUND,
            BodyTooLarge { .. } | BatchTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Missing { .. } | WrongType { .. } | Empty { .. } | TextTooLong { .. } | TopK { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            NoModel { .. } | Overloaded { .. } | Timeout { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn grpc_code(&self) -> tonic::Code {
        match self {
            ServeError::NoModel { .. } => tonic::Code::Unavailable,
            ServeError::Overloaded { .. } => tonic::Code::ResourceExhausted,
            ServeError::Timeout { .. } => tonic::Code::DeadlineExceeded,
            ServeError::Internal(_) => tonic::Code::Internal,
            ServeError::UnknownModel(_) => tonic::Code::NotFound,
            _ => tonic::Code::InvalidArgument,
        }
    }

    /// The bounded label of `rakuten_api_errors_total`.
    pub fn error_type(&self) -> &'static str {
        use ServeError::*;
        match self {
            InvalidJson(_) => "invalid_json",
            InvalidUtf8 => "invalid_utf8",
            BodyTooLarge { .. } => "body_too_large",
            Missing { .. } => "missing_field",
            WrongType { .. } => "wrong_type",
            Empty { .. } => "empty_field",
            TextTooLong { .. } => "text_too_long",
            BatchTooLarge { .. } => "batch_too_large",
            TopK { .. } => "invalid_top_k",
            InvalidTensor { .. } => "invalid_tensor",
            UnknownModel(_) => "unknown_model",
            NoModel { .. } => "no_model",
            Overloaded { .. } => "overloaded",
            Timeout { .. } => "timeout",
            Internal(_) => "internal",
        }
    }

    pub fn field(&self) -> Option<&str> {
        use ServeError::*;
        match self {
            Missing { field }
            | WrongType { field, .. }
            | Empty { field }
            | TextTooLong { field, .. }
            | TopK { field, .. }
            | InvalidTensor { field, .. } => Some(field),
            BatchTooLarge { .. } => Some("items"),
            InvalidJson(_) | InvalidUtf8 | BodyTooLarge { .. } => Some("body"),
            NoModel { .. } | Overloaded { .. } | Timeout { .. } | Internal(_) | UnknownModel(_) => {
                None
            }
        }
    }

    /// Seconds a client should wait before retrying (REST `Retry-After`), for refusals that pass.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            ServeError::Overloaded {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            ServeError::Timeout { .. } | ServeError::NoModel { .. } => Some(1),
            _ => None,
        }
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.to_string(),
            field: self.field().map(str::to_string),
            error_type: self.error_type(),
        }
    }

    /// The REST answer: the status, the JSON body and, for refusals that pass, `Retry-After`.
    pub fn response(&self) -> axum::response::Response {
        use axum::response::IntoResponse;
        let mut response = (self.http_status(), axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after_secs() {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
        }
        response
    }

    pub fn to_status(&self) -> tonic::Status {
        tonic::Status::new(self.grpc_code(), self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_mistakes_are_never_5xx_nor_internal() {
        let client = [
            ServeError::InvalidJson("x".into()),
            ServeError::InvalidUtf8,
            ServeError::BodyTooLarge { limit: 1 },
            ServeError::Missing {
                field: "designation".into(),
            },
            ServeError::WrongType {
                field: "imageid".into(),
                expected: "an integer",
            },
            ServeError::Empty {
                field: "designation".into(),
            },
            ServeError::TextTooLong {
                field: "description".into(),
                limit: 3,
            },
            ServeError::BatchTooLarge { limit: 2 },
            ServeError::TopK {
                field: "top_k".into(),
                max: 27,
            },
            ServeError::InvalidTensor {
                field: "inputs[0].shape".into(),
                reason: "x".into(),
            },
        ];
        for e in client {
            assert!(e.http_status().is_client_error(), "{e:?}");
            assert_eq!(e.grpc_code(), tonic::Code::InvalidArgument, "{e:?}");
            assert!(e.field().is_some(), "{e:?} names a field");
        }
        let unknown = ServeError::UnknownModel("no model x".into());
        assert_eq!(unknown.http_status(), StatusCode::NOT_FOUND);
        assert_eq!(unknown.grpc_code(), tonic::Code::NotFound);
    }
}
