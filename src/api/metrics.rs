//! `GET /metrics` (Prometheus text format) and the middleware that counts and times every request
//! under its matched route pattern, so that ids in paths never become label values.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};

use super::State;
use super::error::ApiError;

/// The route label of requests that matched no route.
const UNMATCHED: &str = "unmatched";

pub async fn record(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let metrics = request
        .app_data::<web::Data<State>>()
        .map(|state| std::sync::Arc::clone(state.service.metrics()));
    let method = request.method().as_str().to_string();
    let route = request
        .match_pattern()
        .unwrap_or_else(|| UNMATCHED.to_string());
    let result = next.call(request).await;
    let status = match &result {
        Ok(response) => response.status(),
        Err(error) => error.as_response_error().status_code(),
    };
    if let Some(metrics) = metrics {
        let seconds = started.elapsed().as_secs_f64();
        metrics.observe_request(&method, &route, status.as_u16(), seconds);
    }
    result
}

pub async fn scrape(state: web::Data<State>) -> Result<HttpResponse, ApiError> {
    let text = state.service.metrics_text().await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}
