//! The knowledge-base admin API (bearer token): list, add, replace and delete articles, and
//! reindex the directories without a restart. An article body is Markdown with front matter
//! (`Content-Type: text/markdown`) or JSON fields (`application/json`). `?tenant=` scopes a call.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::error::ApiError;
use super::openapi::ErrorBody;
use super::{State, bearer_token};
use crate::kb::live::{ArticleFields, ArticleInput, ArticleSummary, ReindexReport};

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/v1/admin/kb/articles", web::get().to(list))
        .route("/v1/admin/kb/articles", web::post().to(create))
        .route("/v1/admin/kb/articles/{id}", web::put().to(replace))
        .route("/v1/admin/kb/articles/{id}", web::delete().to(delete))
        .route("/v1/admin/kb/reindex", web::post().to(reindex));
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct Scope {
    /// Only this tenant's articles (and shared ones are left alone).
    tenant: Option<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct ArticleList {
    articles: Vec<ArticleSummary>,
}

#[utoipa::path(get, path = "/v1/admin/kb/articles", tag = "admin",
    params(Scope),
    responses((status = 200, description = "The articles, with their passage counts", body = ArticleList),
        (status = 401, description = "Missing or wrong admin token", body = ErrorBody)),
    security(("admin_token" = [])))]
pub async fn list(state: web::Data<State>, request: HttpRequest) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    let tenant = tenant(&request)?;
    let articles = state.service.kb_articles(tenant.as_deref());
    Ok(HttpResponse::Ok().json(ArticleList { articles }))
}

#[utoipa::path(post, path = "/v1/admin/kb/articles", tag = "admin",
    params(Scope),
    request_body(content = ArticleFields, description = "JSON fields (`application/json`), or Markdown with front matter (`text/markdown`)"),
    responses((status = 201, description = "Added; searchable now", body = ArticleSummary),
        (status = 401, description = "Missing or wrong admin token", body = ErrorBody),
        (status = 409, description = "The id is taken", body = ErrorBody),
        (status = 415, description = "Neither JSON nor Markdown", body = ErrorBody),
        (status = 422, description = "Invalid article", body = ErrorBody)),
    security(("admin_token" = [])))]
pub async fn create(
    state: web::Data<State>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    let input = read_article(&request, payload, state.max_body_bytes).await?;
    let tenant = tenant(&request)?;
    let (article, _) = state.service.kb_put_article(input, None, tenant).await?;
    Ok(HttpResponse::Created().json(article))
}

#[utoipa::path(put, path = "/v1/admin/kb/articles/{id}", tag = "admin",
    params(("id" = String, Path, description = "Article id"), Scope),
    request_body(content = ArticleFields, description = "JSON fields (`application/json`), or Markdown with front matter (`text/markdown`)"),
    responses((status = 200, description = "Replaced; searchable now", body = ArticleSummary),
        (status = 201, description = "Added; searchable now", body = ArticleSummary),
        (status = 401, description = "Missing or wrong admin token", body = ErrorBody),
        (status = 415, description = "Neither JSON nor Markdown", body = ErrorBody),
        (status = 422, description = "Invalid article", body = ErrorBody)),
    security(("admin_token" = [])))]
pub async fn replace(
    state: web::Data<State>,
    request: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    let input = read_article(&request, payload, state.max_body_bytes).await?;
    let (id, tenant) = (id.into_inner(), tenant(&request)?);
    let (article, created) = state
        .service
        .kb_put_article(input, Some(id), tenant)
        .await?;
    let mut response = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response.json(article))
}

#[utoipa::path(delete, path = "/v1/admin/kb/articles/{id}", tag = "admin",
    params(("id" = String, Path, description = "Article id"), Scope),
    responses((status = 204, description = "Deleted; no longer found by search"),
        (status = 401, description = "Missing or wrong admin token", body = ErrorBody),
        (status = 404, description = "No such article", body = ErrorBody)),
    security(("admin_token" = [])))]
pub async fn delete(
    state: web::Data<State>,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    let (id, tenant) = (id.into_inner(), tenant(&request)?);
    state.service.kb_delete_article(id, tenant).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/v1/admin/kb/reindex", tag = "admin",
    responses((status = 200, description = "Rebuilt from `kb/` and the managed articles; skipped files are listed", body = ReindexReport),
        (status = 401, description = "Missing or wrong admin token", body = ErrorBody)),
    security(("admin_token" = [])))]
pub async fn reindex(
    state: web::Data<State>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    let report = state.service.kb_reindex().await?;
    Ok(HttpResponse::Ok().json(report))
}

/// The optional `?tenant=` that scopes an admin call.
fn tenant(request: &HttpRequest) -> Result<Option<String>, ApiError> {
    let scope = web::Query::<Scope>::from_query(request.query_string())
        .map_err(|e| ApiError::InvalidRequest(format!("query string: {e}")))?;
    let tenant = scope.into_inner().tenant;
    if let Some(name) = &tenant
        && !crate::kb::article::valid_id(name)
    {
        return Err(ApiError::InvalidRequest(
            "`tenant` must be 1-128 ASCII letters, digits, - or _".into(),
        ));
    }
    Ok(tenant)
}

/// The article in the body: Markdown (`text/markdown` or `text/plain`) or JSON fields.
async fn read_article(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<ArticleInput, ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let bytes = match payload.to_bytes_limited(limit).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return Err(ApiError::BodyRead),
        Err(_) => return Err(ApiError::PayloadTooLarge { limit }),
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| ApiError::InvalidUtf8)?;
    match content_type.as_str() {
        "text/markdown" | "text/plain" => Ok(ArticleInput::Markdown(text.to_string())),
        "application/json" => {
            let fields: ArticleFields = serde_json::from_str(text).map_err(|e| {
                if e.is_data() {
                    ApiError::InvalidRequest(e.to_string())
                } else {
                    ApiError::InvalidJson(e.to_string())
                }
            })?;
            Ok(ArticleInput::Fields(fields))
        }
        _ => Err(ApiError::UnsupportedArticleType),
    }
}
