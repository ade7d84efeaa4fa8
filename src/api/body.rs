//! Reading JSON request bodies (and query strings) ourselves, so that every way a body can be wrong (type, size,
//! encoding, syntax, shape) gets its own clear error from the one table in `api::error`.

use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web;
use serde::de::DeserializeOwned;

use super::error::ApiError;

fn is_json(request: &HttpRequest) -> bool {
    let Some(value) = request.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// Reads a JSON body of at most `limit` bytes. An empty body gives `None` (the caller decides if
/// that is allowed); a non-empty one must be declared `application/json`.
pub async fn read_json<T: DeserializeOwned>(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<Option<T>, ApiError> {
    let bytes = match payload.to_bytes_limited(limit).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return Err(ApiError::BodyRead),
        Err(_) => return Err(ApiError::PayloadTooLarge { limit }),
    };
    if bytes.is_empty() {
        return Ok(None);
    }
    if !is_json(request) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| ApiError::InvalidUtf8)?;
    serde_json::from_str(text).map(Some).map_err(|e| {
        if e.is_data() {
            ApiError::InvalidRequest(e.to_string())
        } else {
            ApiError::InvalidJson(e.to_string())
        }
    })
}

/// Like [`read_json`], for endpoints that need a body.
pub async fn require_json<T: DeserializeOwned>(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<T, ApiError> {
    if !is_json(request) {
        return Err(ApiError::UnsupportedMediaType);
    }
    read_json(request, payload, limit)
        .await?
        .ok_or_else(|| ApiError::InvalidJson("the body is empty".into()))
}

/// Query parameters, with the same error table as bodies.
pub fn query<T: DeserializeOwned>(request: &HttpRequest) -> Result<T, ApiError> {
    web::Query::<T>::from_query(request.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))
}
