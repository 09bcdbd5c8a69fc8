//! `GET /openapi.json`: the REST gateway described by hand (OpenAPI 3.0), checked by a test against the routes.

pub const DOCUMENT: &str = r##"{
  "openapi": "3.0.3",
  "info": {
    "title": "Rakuten product classification",
    "version": "1",
    "description": "Classifies Rakuten France products into 27 prdtypecode classes from their title and HTML description. The same core also answers gRPC (rakuten.inference.v1.InferenceService, default port 50051)."
  },
  "paths": {
    "/predict": {
      "post": {
        "summary": "Classify one product",
        "security": [{}, {"bearer": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PredictRequest"}}}},
        "responses": {
          "200": {"description": "The prediction", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PredictResponse"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "422": {"$ref": "#/components/responses/Unprocessable"},
          "503": {"$ref": "#/components/responses/NoModel"}
        }
      }
    },
    "/predict/batch": {
      "post": {
        "summary": "Classify many products with one model, answers in request order",
        "security": [{}, {"bearer": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PredictBatchRequest"}}}},
        "responses": {
          "200": {"description": "One prediction per item", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PredictBatchResponse"}}}},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "422": {"$ref": "#/components/responses/Unprocessable"},
          "503": {"$ref": "#/components/responses/NoModel"}
        }
      }
    },
    "/health": {
      "get": {
        "summary": "Service status: healthy, degraded (serving, a dependency fails) or unhealthy (no model)",
        "responses": {
          "200": {"description": "Serving (healthy or degraded)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}},
          "503": {"description": "Unhealthy: no model loaded", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}
        }
      }
    },
    "/livez": {
      "get": {
        "summary": "Liveness: the process answers",
        "responses": {"200": {"description": "Alive", "content": {"application/json": {"schema": {"type": "object"}}}}}
      }
    },
    "/readyz": {
      "get": {
        "summary": "Readiness: a model is loaded and the service is not draining",
        "responses": {
          "200": {"description": "Ready", "content": {"application/json": {"schema": {"type": "object"}}}},
          "503": {"description": "Not ready: no model loaded, or draining (reasons listed)", "content": {"application/json": {"schema": {"type": "object"}}}}
        }
      }
    },
    "/models/current": {
      "get": {
        "summary": "The model being served",
        "security": [{}, {"bearer": []}],
        "responses": {
          "200": {"description": "The model", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ModelInfo"}}}},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "503": {"$ref": "#/components/responses/NoModel"}
        }
      }
    },
    "/metrics": {
      "get": {
        "summary": "Prometheus metrics (text format 0.0.4), with the last drift report's gauges",
        "responses": {"200": {"description": "Metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}}
      }
    },
    "/v2": {
      "get": {
        "summary": "Open Inference Protocol (KServe v2): server metadata",
        "responses": {"200": {"description": "name, version, extensions", "content": {"application/json": {"schema": {"type": "object"}}}}}
      }
    },
    "/v2/health/live": {
      "get": {
        "summary": "Open Inference Protocol: liveness",
        "responses": {"200": {"description": "Live", "content": {"application/json": {"schema": {"type": "object"}}}}}
      }
    },
    "/v2/health/ready": {
      "get": {
        "summary": "Open Inference Protocol: readiness (as /readyz)",
        "responses": {
          "200": {"description": "Ready", "content": {"application/json": {"schema": {"type": "object"}}}},
          "503": {"description": "Not ready", "content": {"application/json": {"schema": {"type": "object"}}}}
        }
      }
    },
    "/v2/models/{name}": {
      "get": {
        "summary": "Open Inference Protocol: the model's versions and tensors",
        "security": [{}, {"bearer": []}],
        "parameters": [{"$ref": "#/components/parameters/ModelName"}],
        "responses": {
          "200": {"description": "The model's metadata", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/V2ModelMetadata"}}}},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "404": {"$ref": "#/components/responses/UnknownModel"}
        }
      }
    },
    "/v2/models/{name}/ready": {
      "get": {
        "summary": "Open Inference Protocol: the model is loaded and the service ready",
        "security": [{}, {"bearer": []}],
        "parameters": [{"$ref": "#/components/parameters/ModelName"}],
        "responses": {
          "200": {"description": "Ready", "content": {"application/json": {"schema": {"type": "object"}}}},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "404": {"$ref": "#/components/responses/UnknownModel"},
          "503": {"description": "Not ready", "content": {"application/json": {"schema": {"type": "object"}}}}
        }
      }
    },
    "/v2/models/{name}/infer": {
      "post": {
        "summary": "Open Inference Protocol: classify N products (BYTES inputs designation, description); also with the binary tensor data extension (Inference-Header-Content-Length), and under /v2/models/{name}/versions/{version}/…",
        "security": [{}, {"bearer": []}],
        "parameters": [{"$ref": "#/components/parameters/ModelName"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/V2InferRequest"}}}},
        "responses": {
          "200": {"description": "Outputs predicted_class, confidence, top_k_classes, top_k_probabilities, prediction_id (those asked for)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/V2InferResponse"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "404": {"$ref": "#/components/responses/UnknownModel"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "422": {"$ref": "#/components/responses/Unprocessable"},
          "503": {"$ref": "#/components/responses/NoModel"}
        }
      }
    },
    "/openapi.json": {
      "get": {
        "summary": "This document",
        "responses": {"200": {"description": "OpenAPI 3 document", "content": {"application/json": {"schema": {"type": "object"}}}}}
      }
    }
  },
  "components": {
    "securitySchemes": {
      "bearer": {"type": "http", "scheme": "bearer", "description": "An API key of rakuten serve --api-keys; needed only when keys are on"}
    },
    "parameters": {
      "ModelName": {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}, "description": "The model's registry name (rakuten-classifier unless rakuten serve --model-name says otherwise)"}
    },
    "schemas": {
      "V2Tensor": {
        "type": "object",
        "required": ["name", "datatype", "shape"],
        "properties": {
          "name": {"type": "string"}, "datatype": {"type": "string", "description": "BYTES for the inputs"},
          "shape": {"type": "array", "items": {"type": "integer"}, "description": "[N] or [N, 1]"},
          "parameters": {"type": "object", "description": "binary_data_size: the tensor's bytes follow the JSON header"},
          "data": {"type": "array", "description": "Row-major elements (strings for BYTES), flat or nested", "items": {}}
        }
      },
      "V2InferRequest": {
        "type": "object",
        "required": ["inputs"],
        "properties": {
          "id": {"type": "string"},
          "parameters": {"type": "object", "description": "top_k (1-27, default 5), binary_data_output"},
          "inputs": {"type": "array", "items": {"$ref": "#/components/schemas/V2Tensor"}},
          "outputs": {"type": "array", "items": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "parameters": {"type": "object"}}}}
        }
      },
      "V2InferResponse": {
        "type": "object",
        "required": ["model_name", "model_version", "outputs"],
        "properties": {
          "model_name": {"type": "string"}, "model_version": {"type": "string"}, "id": {"type": "string"},
          "outputs": {"type": "array", "items": {"$ref": "#/components/schemas/V2Tensor"}}
        }
      },
      "V2ModelMetadata": {
        "type": "object",
        "properties": {
          "name": {"type": "string"}, "versions": {"type": "array", "items": {"type": "string"}}, "platform": {"type": "string"},
          "inputs": {"type": "array", "items": {"$ref": "#/components/schemas/V2Tensor"}},
          "outputs": {"type": "array", "items": {"$ref": "#/components/schemas/V2Tensor"}}
        }
      },
      "PredictRequest": {
        "type": "object",
        "required": ["designation"],
        "properties": {
          "designation": {"type": "string", "minLength": 1, "description": "Product title; not blank; at most the configured characters (default 20000)"},
          "description": {"type": "string", "nullable": true, "description": "HTML description; at most the configured characters"},
          "imageid": {"type": "integer", "format": "int64", "nullable": true},
          "top_k": {"type": "integer", "minimum": 1, "maximum": 27, "nullable": true, "description": "Classes in probabilities (default 5)"}
        }
      },
      "PredictResponse": {
        "type": "object",
        "required": ["predicted_class", "probabilities", "confidence", "prediction_id", "model_version"],
        "properties": {
          "predicted_class": {"type": "integer", "format": "int64", "description": "prdtypecode"},
          "probabilities": {"type": "object", "additionalProperties": {"type": "number"}, "description": "The top classes by prdtypecode, most probable first"},
          "confidence": {"type": "number", "description": "Probability of predicted_class"},
          "prediction_id": {"type": "string", "description": "UUIDv7; the inference log's key"},
          "model_version": {"type": "string"}
        }
      },
      "PredictBatchRequest": {
        "type": "object",
        "required": ["items"],
        "properties": {
          "items": {"type": "array", "minItems": 1, "description": "At most the configured count (default 1024)", "items": {"$ref": "#/components/schemas/PredictRequest"}},
          "top_k": {"type": "integer", "minimum": 1, "maximum": 27, "nullable": true, "description": "For items that do not set their own"}
        }
      },
      "PredictBatchResponse": {
        "type": "object",
        "required": ["predictions"],
        "properties": {"predictions": {"type": "array", "items": {"$ref": "#/components/schemas/PredictResponse"}}}
      },
      "ModelInfo": {
        "type": "object",
        "properties": {
          "name": {"type": "string"}, "version": {"type": "string"}, "stage": {"type": "string"},
          "metrics": {"type": "object", "additionalProperties": {"type": "number"}},
          "loaded_at": {"type": "string", "format": "date-time"}, "model_type": {"type": "string"},
          "holdout_id": {"type": "string"}, "artifact_sha256": {"type": "string"},
          "shadow": {"type": "object", "nullable": true, "description": "The shadow version (alias shadow) scored beside this one, null when none", "properties": {
            "version": {"type": "string"}, "loaded_at": {"type": "string", "format": "date-time"},
            "scored": {"type": "integer"}, "agreed": {"type": "integer"}, "agreement": {"type": "number", "nullable": true},
            "dropped": {"type": "integer"}, "mean_latency_ms": {"type": "number", "nullable": true},
            "by_class": {"type": "object", "description": "By Production's prdtypecode: scored, disagreed", "additionalProperties": {"type": "object"}}}}
        }
      },
      "Health": {
        "type": "object",
        "required": ["status", "model", "database", "inference_log"],
        "properties": {
          "status": {"type": "string", "enum": ["healthy", "degraded", "unhealthy"]},
          "model": {"type": "object", "properties": {
            "name": {"type": "string"}, "loaded": {"type": "boolean"}, "version": {"type": "string", "nullable": true},
            "stage": {"type": "string", "nullable": true}, "loaded_at": {"type": "string", "nullable": true},
            "load_failures": {"type": "integer"},
            "last_load_failure": {"type": "object", "nullable": true, "properties": {"version": {"type": "integer"}, "error": {"type": "string"}, "at": {"type": "string"}}}
          }},
          "database": {"type": "object", "properties": {"backend": {"type": "string"}, "reachable": {"type": "boolean"}}},
          "inference_log": {"type": "object", "properties": {
            "written_rows": {"type": "integer"}, "dropped_rows": {"type": "integer"}, "queued_rows": {"type": "integer"},
            "losing_rows": {"type": "boolean"}, "last_error": {"type": "string", "nullable": true},
            "ready": {"type": "boolean", "description": "false while a journal left by an earlier process is replayed"},
            "journal": {"type": "object", "nullable": true, "description": "rows waiting for the database on local disk (null when the journal is off)", "properties": {
              "dir": {"type": "string"}, "bytes": {"type": "integer"}, "segments": {"type": "integer"},
              "max_bytes": {"type": "integer"}, "journaled_rows": {"type": "integer"}, "replayed_rows": {"type": "integer"}}}
          }},
          "uptime_seconds": {"type": "number"}
        }
      },
      "Error": {
        "type": "object",
        "required": ["error", "error_type"],
        "properties": {
          "error": {"type": "string", "description": "What is wrong, for a person"},
          "field": {"type": "string", "description": "The field at fault: designation, description, imageid, top_k, items, items[3].designation, or body"},
          "error_type": {"type": "string", "description": "The label of rakuten_api_errors_total"}
        }
      }
    },
    "responses": {
      "BadRequest": {"description": "Body not UTF-8 or not JSON; a v2 tensor malformed (error_type invalid_tensor)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "TooLarge": {"description": "Body over the byte limit, or a batch over the item limit", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unprocessable": {"description": "A field missing, empty, of the wrong type or too long", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unauthenticated": {"description": "API keys are on (rakuten serve --api-keys) and the request has no accepted key; one message whatever was wrong", "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "UnknownModel": {"description": "Another model, or a version that is not the one served", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "NoModel": {"description": "No model loaded yet, or the service is at capacity (error_type overloaded) or the request timed out (error_type timeout); Retry-After says when to retry", "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds"}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    }
  }
}"##;

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_is_json_with_every_route() {
        let doc: serde_json::Value = serde_json::from_str(super::DOCUMENT).unwrap();
        for route in [
            "/predict",
            "/predict/batch",
            "/health",
            "/livez",
            "/readyz",
            "/models/current",
            "/metrics",
            "/openapi.json",
            "/v2",
            "/v2/health/live",
            "/v2/health/ready",
            "/v2/models/{name}",
            "/v2/models/{name}/ready",
            "/v2/models/{name}/infer",
        ] {
            assert!(doc["paths"].get(route).is_some(), "{route}");
        }
        // Every $ref points at a component that exists.
        let text = super::DOCUMENT;
        for r in text.split("\"$ref\": \"#/components/").skip(1) {
            let path = &r[..r.find('"').unwrap()];
            let mut node = &doc["components"];
            for part in path.split('/') {
                node = &node[part];
            }
            assert!(!node.is_null(), "dangling $ref {path}");
        }
    }
}
