//! The analytics admin API (bearer admin token): the report, the per-ticket CSV export, and the
//! dashboard page that draws them (static files compiled in; the page asks for the token).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::error::ApiError;
use super::openapi::ErrorBody;
use super::{State, bearer_token};
use crate::service::AnalyticsQuery;

const DASHBOARD_HTML: &str = include_str!("../../web/dashboard/index.html");
const DASHBOARD_JS: &str = include_str!("../../web/dashboard/dashboard.js");
const DASHBOARD_CSS: &str = include_str!("../../web/dashboard/dashboard.css");

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/v1/admin/analytics", web::get().to(report))
        .route(
            "/v1/admin/analytics/tickets.csv",
            web::get().to(tickets_csv),
        )
        .route("/dashboard", web::get().to(dashboard_page))
        .route("/dashboard/dashboard.js", web::get().to(dashboard_js))
        .route("/dashboard/dashboard.css", web::get().to(dashboard_css));
}

fn query(request: &HttpRequest) -> Result<AnalyticsQuery, ApiError> {
    web::Query::<AnalyticsQuery>::from_query(request.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))
}

#[utoipa::path(get, path = "/v1/admin/analytics", tag = "admin",
    params(AnalyticsQuery),
    responses((status = 200, description = "Containment, escalations by reason, response and resolution percentiles, CSAT bot vs human, SLA breaches: in total and per group", body = Object),
        (status = 401, description = "Missing or wrong admin token", body = ErrorBody),
        (status = 422, description = "Bad `from`, `to`, `tenant` or `group_by`", body = ErrorBody)),
    security(("admin_token" = [])))]
pub async fn report(
    state: web::Data<State>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    let report = state.service.analytics(&query(&request)?).await?;
    Ok(HttpResponse::Ok().json(report))
}

#[utoipa::path(get, path = "/v1/admin/analytics/tickets.csv", tag = "admin",
    params(AnalyticsQuery),
    responses((status = 200, description = "One row per ticket with its scores", body = String, content_type = "text/csv"),
        (status = 401, description = "Missing or wrong admin token", body = ErrorBody),
        (status = 422, description = "Bad filter (`group_by` does not apply here)", body = ErrorBody)),
    security(("admin_token" = [])))]
pub async fn tickets_csv(
    state: web::Data<State>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    let csv = state.service.tickets_csv(&query(&request)?).await?;
    Ok(csv_attachment(csv))
}

/// The per-ticket export as a download (the admin and the partner export share it).
pub(super) fn csv_attachment(csv: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"tickets.csv\"",
        ))
        .body(csv)
}

fn page(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'self'"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .body(body)
}

async fn dashboard_page() -> HttpResponse {
    page("text/html; charset=utf-8", DASHBOARD_HTML)
}

async fn dashboard_js() -> HttpResponse {
    page("text/javascript; charset=utf-8", DASHBOARD_JS)
}

async fn dashboard_css() -> HttpResponse {
    page("text/css; charset=utf-8", DASHBOARD_CSS)
}
