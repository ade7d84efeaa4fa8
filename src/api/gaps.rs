//! The improvement loop over HTTP: the gaps view and drafts for the console (session cookie,
//! scoped to the agent's tenant; the gaps view, publishing and discarding need the admin role),
//! and the published training examples for the operator (admin token), in `switchboard train`'s
//! YAML format.

use actix_web::{HttpRequest, HttpResponse, web};

use super::console::agent;
use super::error::ApiError;
use super::openapi::ErrorBody;
use super::{State, bearer_token, body};
use crate::service::{Draft, DraftEdit, GapReport, GapsQuery, NewDraft, Published};

/// Under `/v1/console`.
pub fn console_routes(config: &mut web::ServiceConfig) {
    config
        .route("/gaps", web::get().to(gaps))
        .route("/conversations/{id}/drafts", web::post().to(create_draft))
        .route("/drafts", web::get().to(list_drafts))
        .route("/drafts/{id}", web::get().to(get_draft))
        .route("/drafts/{id}", web::put().to(edit_draft))
        .route("/drafts/{id}", web::delete().to(discard_draft))
        .route("/drafts/{id}/publish", web::post().to(publish_draft))
        .route(
            "/training-examples",
            web::get().to(console_training_examples),
        );
}

pub fn admin_routes(config: &mut web::ServiceConfig) {
    config.route(
        "/v1/admin/training-examples",
        web::get().to(training_examples),
    );
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct TenantScope {
    /// Only this tenant's examples (default: every tenant's).
    tenant: Option<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct DraftList {
    drafts: Vec<Draft>,
}

fn yaml(text: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/yaml; charset=utf-8")
        .body(text)
}

#[utoipa::path(get, path = "/v1/console/gaps", tag = "console",
    params(GapsQuery),
    responses((status = 200, description = "Messages the bot could not answer, grouped into topics; what was scanned and whether a cap cut it short", body = GapReport),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not an admin (`admin_only`)", body = ErrorBody),
        (status = 422, description = "Bad `days`, `max_tickets` or `sort`", body = ErrorBody)),
    security(("console_session" = [])))]
pub async fn gaps(state: web::Data<State>, request: HttpRequest) -> Result<HttpResponse, ApiError> {
    let agent = agent(&state, &request).await?;
    let query: GapsQuery = body::query(&request)?;
    let report = state.service.gaps(&agent, &query).await?;
    Ok(HttpResponse::Ok().json(report))
}

#[utoipa::path(post, path = "/v1/console/conversations/{id}/drafts", tag = "console",
    params(("id" = String, Path, description = "A resolved conversation of the agent's tenant")),
    request_body = NewDraft,
    responses((status = 201, description = "The draft, prefilled from the conversation", body = Draft),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 404, description = "No such conversation in the tenant", body = ErrorBody),
        (status = 409, description = "The conversation is not resolved (`not_resolved`)", body = ErrorBody),
        (status = 422, description = "Nothing to draft from (no agent answer, no customer message)", body = ErrorBody)),
    security(("console_session" = [])))]
pub async fn create_draft(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let agent = agent(&state, &request).await?;
    let new: NewDraft = body::require_json(&request, payload, state.max_body_bytes).await?;
    let draft = state.service.create_draft(&agent, &id, new.kind).await?;
    Ok(HttpResponse::Created().json(draft))
}

#[utoipa::path(get, path = "/v1/console/drafts", tag = "console",
    responses((status = 200, description = "The tenant's drafts, newest first", body = DraftList),
        (status = 401, description = "Not logged in", body = ErrorBody)),
    security(("console_session" = [])))]
pub async fn list_drafts(
    state: web::Data<State>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let agent = agent(&state, &request).await?;
    let drafts = state.service.drafts(&agent).await?;
    Ok(HttpResponse::Ok().json(DraftList { drafts }))
}

#[utoipa::path(get, path = "/v1/console/drafts/{id}", tag = "console",
    params(("id" = String, Path, description = "Draft id")),
    responses((status = 200, description = "The draft", body = Draft),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 404, description = "No such draft in the tenant", body = ErrorBody)),
    security(("console_session" = [])))]
pub async fn get_draft(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let agent = agent(&state, &request).await?;
    Ok(HttpResponse::Ok().json(state.service.draft(&agent, &id).await?))
}

#[utoipa::path(put, path = "/v1/console/drafts/{id}", tag = "console",
    params(("id" = String, Path, description = "Draft id")),
    request_body = DraftEdit,
    responses((status = 200, description = "The edited draft", body = Draft),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Neither its author nor an admin", body = ErrorBody),
        (status = 404, description = "No such draft in the tenant", body = ErrorBody),
        (status = 409, description = "Already published", body = ErrorBody),
        (status = 422, description = "Invalid fields (`invalid_draft`)", body = ErrorBody)),
    security(("console_session" = [])))]
pub async fn edit_draft(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let agent = agent(&state, &request).await?;
    let edit: DraftEdit = body::require_json(&request, payload, state.max_body_bytes).await?;
    let draft = state.service.edit_draft(&agent, &id, edit).await?;
    Ok(HttpResponse::Ok().json(draft))
}

#[utoipa::path(post, path = "/v1/console/drafts/{id}/publish", tag = "console",
    params(("id" = String, Path, description = "Draft id")),
    responses((status = 200, description = "Published: the article is answerable now (the tenant's), or the examples join the training export", body = Published),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such draft in the tenant", body = ErrorBody),
        (status = 409, description = "Already published, or the article id is taken (`article_exists`)", body = ErrorBody),
        (status = 422, description = "The knowledge base refused the article (`invalid_article`)", body = ErrorBody)),
    security(("console_session" = [])))]
pub async fn publish_draft(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let agent = agent(&state, &request).await?;
    let published: Published = state.service.publish_draft(&agent, &id).await?;
    Ok(HttpResponse::Ok().json(published))
}

#[utoipa::path(delete, path = "/v1/console/drafts/{id}", tag = "console",
    params(("id" = String, Path, description = "Draft id")),
    responses((status = 204, description = "Discarded (published examples leave the export)"),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such draft in the tenant", body = ErrorBody)),
    security(("console_session" = [])))]
pub async fn discard_draft(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let agent = agent(&state, &request).await?;
    state.service.discard_draft(&agent, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, path = "/v1/console/training-examples", tag = "console",
    responses((status = 200, description = "The tenant's published training examples, `intent: [texts]`", body = String, content_type = "application/yaml"),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody)),
    security(("console_session" = [])))]
pub async fn console_training_examples(
    state: web::Data<State>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let agent = agent(&state, &request).await?;
    let text = state.service.tenant_training_examples(&agent).await?;
    Ok(yaml(text))
}

#[utoipa::path(get, path = "/v1/admin/training-examples", tag = "admin",
    params(TenantScope),
    responses((status = 200, description = "Published training examples in `switchboard train`'s YAML format", body = String, content_type = "application/yaml"),
        (status = 401, description = "Missing or wrong admin token", body = ErrorBody),
        (status = 422, description = "Unknown parameter", body = ErrorBody)),
    security(("admin_token" = [])))]
pub async fn training_examples(
    state: web::Data<State>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    let scope: TenantScope = body::query(&request)?;
    let tenant = scope.tenant.filter(|t| !t.is_empty());
    let text = state
        .service
        .training_examples_yaml(tenant.as_deref())
        .await?;
    Ok(yaml(text))
}
