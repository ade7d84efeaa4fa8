//! Per-client-address rate limiting for the public (`/v1/conversations`) and partner
//! (`/v1/partner/`) endpoints, as middleware. The client address is the TCP peer; only with
//! `limits.trust_forwarded_for` is it the last `X-Forwarded-For` entry (the one a trusted proxy
//! appended), so a client cannot pick its own bucket with a header.

use std::net::{IpAddr, Ipv4Addr};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, ResponseError, web};

use super::State;
use super::error::ApiError;

const LIMITED_PREFIXES: [&str; 2] = ["/v1/conversations", "/v1/partner/"];

/// The address a request is counted against.
pub fn client_ip(request: &HttpRequest, trust_forwarded_for: bool) -> IpAddr {
    if trust_forwarded_for && let Some(ip) = last_forwarded_for(request) {
        return ip;
    }
    request
        .peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |peer| peer.ip())
}

/// The last entry of the last `X-Forwarded-For` header: what our own proxy appended.
fn last_forwarded_for(request: &HttpRequest) -> Option<IpAddr> {
    let value = request
        .headers()
        .get_all("x-forwarded-for")
        .last()?
        .to_str()
        .ok()?;
    value.rsplit(',').next()?.trim().parse().ok()
}

pub async fn limit_by_ip<B: MessageBody>(
    request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let path = request.path();
    let limited = LIMITED_PREFIXES.iter().any(|p| path.starts_with(p));
    if let (true, Some(state)) = (limited, request.app_data::<web::Data<State>>()) {
        let ip = client_ip(request.request(), state.trust_forwarded_for);
        if let Err(error) = state.service.limits().check_ip(ip) {
            let response = ApiError::from(error).error_response();
            return Ok(request.into_response(response).map_into_right_body());
        }
    }
    Ok(next.call(request).await?.map_into_left_body())
}
