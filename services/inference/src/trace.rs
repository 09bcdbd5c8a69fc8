//! One trace per request: a server span per REST or gRPC call (its parent taken from a W3C `traceparent`
//! header when the caller sends one), with child spans for decoding, predicting and enqueueing the log row.
//! Exported only when the host installed an OpenTelemetry layer (`rakuten` does when `OTEL_EXPORTER_OTLP_*`
//! is set); otherwise these are ordinary `tracing` spans.

use opentelemetry::propagation::Extractor;
use tracing_opentelemetry::OpenTelemetrySpanExt;

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// The span of one call (`transport` is `http` or `grpc`, `route` the path or the gRPC method), continuing
/// the caller's trace when its headers carry one.
pub fn request_span(
    transport: &'static str,
    route: &'static str,
    headers: &http::HeaderMap,
) -> tracing::Span {
    let span = tracing::info_span!(
        "request",
        otel.name = route,
        otel.kind = "server",
        transport,
        route,
    );
    let parent =
        opentelemetry::global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(headers)));
    // No OpenTelemetry layer (traces off): nothing to link, and nothing lost.
    let _ = span.set_parent(parent);
    span
}
