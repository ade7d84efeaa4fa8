//! Start-up and shutdown: load every component from the configured paths, open the store, bind
//! and run the HTTP server until a signal, then stop cleanly. A missing runtime, encoder or
//! model fails here with one line naming the file and the fix.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};

use crate::config::Settings;
use crate::error::ServiceError;
use crate::kb::managed::{self, ManagedArticles};
use crate::kb::{KbError, LiveKnowledgeBase};
use crate::nlu::{Classifier, Encoder, EncoderOptions, NluError};
use crate::service::Switchboard;
use crate::store::{self, SharedStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Nlu(#[from] NluError),
    #[error(transparent)]
    Kb(#[from] KbError),
    #[error("store: {0}")]
    Store(StoreError),
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

/// Loads and indexes the knowledge base (`kb_dir`, then the `managed` articles), embedding its
/// passages with `encoder`; broken articles are logged and skipped.
pub fn load_kb(
    settings: &Settings,
    encoder: Arc<Encoder>,
    managed: &ManagedArticles,
) -> Result<LiveKnowledgeBase, KbError> {
    let data_dir = &settings.paths.data_dir;
    let (kb, report) = LiveKnowledgeBase::open(&settings.paths.kb_dir, data_dir, managed, encoder)?;
    tracing::info!(
        articles = report.articles,
        passages = report.passages,
        skipped = report.rejected.len(),
        ms = report.elapsed_ms as u64,
        "knowledge base indexed"
    );
    Ok(kb)
}

/// The managed KB articles from the store (importing files older versions kept under
/// `data_dir/kb`), and the revision they are at.
pub async fn managed_articles(
    settings: &Settings,
    store: &SharedStore,
) -> Result<(ManagedArticles, Option<String>), StartupError> {
    let imported = managed::import_files(&settings.paths.data_dir, store.as_ref()).await?;
    if imported > 0 {
        tracing::info!(
            imported,
            "knowledge-base edits moved from files into the store"
        );
    }
    let revision = managed::revision(store.as_ref())
        .await
        .map_err(StartupError::Store)?;
    let articles = ManagedArticles::load(store.as_ref())
        .await
        .map_err(StartupError::Store)?;
    Ok((articles, revision))
}

/// Opens the configured store: PostgreSQL at `storage.url`, else sled under `data_dir`.
pub async fn open_store(settings: &Settings) -> Result<SharedStore, StartupError> {
    store::open(settings).await.map_err(|source| {
        let path = settings
            .paths
            .data_dir
            .join("tickets")
            .display()
            .to_string();
        // sled allows one process per database; it reports the lock as an I/O error.
        if source.to_string().contains("could not acquire lock") {
            return StartupError::DataInUse { path };
        }
        StartupError::Store(source)
    })
}

/// Every component, loaded from the configured paths, and the KB revision they serve.
pub async fn open(settings: &Settings) -> Result<Arc<Switchboard>, StartupError> {
    let encoder = load_encoder(settings)?;
    // The model before the KB: a missing or broken model fails start-up at once, not after
    // minutes of embedding a cold KB.
    let classifier = Arc::new(Classifier::load(
        Arc::clone(&encoder),
        &settings.paths.model_dir,
    )?);
    let store = open_store(settings).await?;
    let (managed, revision) = managed_articles(settings, &store).await?;
    let kb = Arc::new(load_kb(settings, encoder, &managed)?);
    let service = Switchboard::new(classifier, kb, store, settings).await?;
    let service = Arc::new(service);
    service.start(settings, revision).await?;
    Ok(service)
}

/// A bound, not yet running server, and the port it got.
pub struct Application {
    pub port: u16,
    pub server: Server,
    service: Arc<Switchboard>,
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
        Arc::clone(service.store()),
        settings.webhooks.clone(),
        Arc::clone(service.metrics()),
        service.closed(),
    );
    let server =
        crate::api::server(listener, Arc::clone(&service), settings).map_err(bind_error)?;
    Ok(Application {
        port,
        server,
        service,
    })
}

impl Application {
    /// Serves until SIGTERM or Ctrl-C, then stops: no new connections, event streams end,
    /// requests in flight get `server.shutdown_seconds` to finish, the store is flushed and
    /// closed. A second signal exits at once (everything acknowledged is already durable).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let watcher = tokio::spawn(stop_on_signal(handle, Arc::clone(&self.service)));
        let served = self.server.await;
        watcher.abort();
        self.service.shutdown().await;
        served
    }
}

async fn stop_on_signal(handle: ServerHandle, service: Arc<Switchboard>) {
    signal().await;
    tracing::info!("shutdown signal received: finishing requests in flight");
    service.close_streams();
    let stopping = handle.stop(true);
    tokio::pin!(stopping);
    tokio::select! {
        () = &mut stopping => {}
        () = signal() => {
            tracing::warn!("second signal: exiting now");
            std::process::exit(130);
        }
    }
}

/// SIGTERM or SIGINT (Ctrl-C).
async fn signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

/// The KB revision poll interval from the settings.
pub fn kb_poll(settings: &Settings) -> Duration {
    Duration::from_secs(settings.storage.kb_poll_seconds.max(1))
}
