//! `GET /metrics`: Prometheus counters and latencies of the HTTP surface, in the
//! OpenMetrics text format. Labels are route patterns and fixed names, never values
//! from the request, so series stay few.

use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GrantLabels {
    pub grant_type: &'static str,
}

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RouteLabels, Counter>,
    pub latency: Family<RouteLabels, Histogram>,
    pub tokens_issued: Family<GrantLabels, Counter>,
    pub feed_subscribers: Gauge,
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("auth");
        let requests = Family::<RouteLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            // 100 µs to ~3 s: covers a cached JWKS read and an Argon2 login alike.
            Histogram::new(exponential_buckets(0.0001, 2.0, 16))
        });
        let tokens_issued = Family::<GrantLabels, Counter>::default();
        let feed_subscribers = Gauge::default();
        registry.register("http_requests", "HTTP requests by route and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency", latency.clone());
        registry.register("tokens_issued", "Tokens issued by grant type", tokens_issued.clone());
        registry.register("revocation_feed_subscribers", "Open revocation feed streams", feed_subscribers.clone());
        Arc::new(Self { registry, requests, latency, tokens_issued, feed_subscribers })
    }

    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

pub async fn get_metrics(metrics: web::Data<Arc<Metrics>>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/openmetrics-text; version=1.0.0; charset=utf-8").body(metrics.render())
}

/// Middleware: counts and times every request under its route pattern.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<Arc<Metrics>>>().cloned();
    let response = next.call(req).await?;
    if let Some(metrics) = metrics {
        let labels = RouteLabels {
            route: response.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned()),
            status: response.status().as_u16(),
        };
        metrics.requests.get_or_create(&labels).inc();
        metrics.latency.get_or_create(&labels).observe(started.elapsed().as_secs_f64());
    }
    Ok(response)
}
