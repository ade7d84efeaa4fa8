//! Start-up: load every component from the configured paths, then bind and run the HTTP server.
//! A missing runtime, encoder or model fails here with one line naming the file and the fix.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;

use crate::config::Settings;
use crate::error::ServiceError;

use crate::kb::{KbError, LiveKnowledgeBase};
use crate::nlu::{Classifier, Encoder, EncoderOptions, NluError};
use crate::service::Switchboard;
use crate::tenants::TenantRegistry;
use crate::tickets::{TicketError, TicketStore};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Nlu(#[from] NluError),
    #[error(transparent)]
    Kb(#[from] KbError),
    #[error("ticket store at {path}: {source}")]
    Tickets { path: String, source: TicketError },
    #[error(
        "the data directory {path} is in use by another process (is `switchboard serve` running? \
         stop it, or use the admin API: POST /v1/admin/tenants)"
    )]
    DataInUse { path: String },
    #[error("tenant registry: {0}")]
    Tenants(#[from] ServiceError),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
}

pub fn load_encoder(settings: &Settings) -> Result<Arc<Encoder>, NluError> {
    let options = EncoderOptions::from_settings(settings)?;
    Ok(Arc::new(Encoder::load(&options)?))
}

/// Loads and indexes the knowledge base (`kb_dir`, then the articles managed under `data_dir`),
/// embedding its passages with `encoder`; broken articles are logged and skipped.
pub fn load_kb(settings: &Settings, encoder: Arc<Encoder>) -> Result<LiveKnowledgeBase, KbError> {
    let (kb, report) =
        LiveKnowledgeBase::open(&settings.paths.kb_dir, &settings.paths.data_dir, encoder)?;
    tracing::info!(
        articles = report.articles,
        passages = report.passages,
        skipped = report.rejected.len(),
        ms = report.elapsed_ms as u64,
        "knowledge base indexed"
    );
    Ok(kb)
}

pub fn open_store(settings: &Settings) -> Result<TicketStore, StartupError> {
    let path = settings.paths.data_dir.join("tickets");
    TicketStore::open(&path).map_err(|source| {
        let path = path.display().to_string();
        // sled allows one process per database; it reports the lock as an I/O error.
        if source.to_string().contains("could not acquire lock") {
            return StartupError::DataInUse { path };
        }
        StartupError::Tickets { path, source }
    })
}

/// The ticket store and the tenant registry in it, for the CLI (the server must not be running).
pub fn open_tenants(settings: &Settings) -> Result<(TicketStore, TenantRegistry), StartupError> {
    let store = open_store(settings)?;
    let registry = TenantRegistry::open(store.db()).map_err(ServiceError::from)?;
    registry.ensure_default().map_err(ServiceError::from)?;
    Ok((store, registry))
}

/// Every component, loaded from the configured paths.
pub fn open(settings: &Settings) -> Result<Switchboard, StartupError> {
    let encoder = load_encoder(settings)?;
    let kb = Arc::new(load_kb(settings, Arc::clone(&encoder))?);
    let classifier = Arc::new(Classifier::load(encoder, &settings.paths.model_dir)?);
    let store = open_store(settings)?;
    Ok(Switchboard::new(classifier, kb, store, settings)?)
}

/// A bound, not yet running server, and the port it got.
pub struct Application {
    pub port: u16,
    pub server: Server,
}

pub fn bind(service: Arc<Switchboard>, settings: &Settings) -> Result<Application, StartupError> {
    let address = format!("{}:{}", settings.server.host, settings.server.port);
    let bind_error = |source| StartupError::Bind {
        address: address.clone(),
        source,
    };
    let listener = TcpListener::bind(&address).map_err(bind_error)?;
    let port = listener.local_addr().map_err(bind_error)?.port();
    crate::webhooks::worker::spawn(
        service.store().webhooks().clone(),
        settings.webhooks.clone(),
        Arc::clone(service.metrics()),
    );
    let server = crate::api::server(listener, service, settings).map_err(bind_error)?;
    Ok(Application { port, server })
}
