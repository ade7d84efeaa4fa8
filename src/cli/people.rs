//! Account commands: agents and tenants, on the configured store. sled lets one process own the
//! database, so with sled these refuse while the server runs (the admin API does the same jobs
//! then); with PostgreSQL they work beside running replicas.

use anyhow::{Context, Result};

use crate::{AgentCommand, TenantCommand};
use switchboard::agents::{self, AgentStore, NewAgent, Role};
use switchboard::config::Settings;
use switchboard::startup;
use switchboard::tenants::{NewTenant, TenantRegistry, WidgetSettings};

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?)
}

pub fn agent(settings: &Settings, command: AgentCommand) -> Result<()> {
    runtime()?.block_on(add_agent(settings, command))
}

async fn add_agent(settings: &Settings, command: AgentCommand) -> Result<()> {
    let AgentCommand::Add {
        tenant,
        username,
        display_name,
        role,
        password_stdin: _,
    } = command;
    let role = match role.as_str() {
        "agent" => Role::Agent,
        "admin" => Role::Admin,
        other => anyhow::bail!("--role must be `agent` or `admin`, not `{other}`"),
    };
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .context("reading the password from stdin")?;
    let password = password.trim_end_matches(['\r', '\n']).to_string();
    let store = startup::open_store(settings).await.context(
        "cannot open the database: if the server is running, stop it or use POST /v1/admin/agents",
    )?;
    let new = NewAgent {
        tenant,
        username,
        display_name,
        role,
        password,
    };
    let record = agents::prepare(new)?;
    let profile = AgentStore::new(store.clone()).add(record).await?;
    store.close().await;
    println!(
        "added {} ({}) to tenant {} as {:?}",
        profile.username, profile.display_name, profile.tenant, profile.role
    );
    Ok(())
}

pub fn tenant(settings: &Settings, command: TenantCommand) -> Result<()> {
    runtime()?.block_on(manage_tenants(settings, command))
}

async fn manage_tenants(settings: &Settings, command: TenantCommand) -> Result<()> {
    let store = startup::open_store(settings).await?;
    let registry = TenantRegistry::new(store.clone());
    registry.ensure_default().await?;
    match command {
        TenantCommand::Add {
            id,
            name,
            language,
            origins,
        } => {
            let mut widget = WidgetSettings {
                language,
                ..WidgetSettings::default()
            };
            if !origins.is_empty() {
                widget.allowed_origins = origins;
            }
            let new = NewTenant {
                id,
                name,
                widget: Some(widget),
                escalation: None,
                intent_model_dir: None,
            };
            let tenant = registry.create(new).await?;
            let key = registry
                .create_key(&tenant.id, Some("first".into()))
                .await?;
            println!("created tenant {} ({})", tenant.id, tenant.name);
            println!(
                "API key {} (shown once, store it now):\n{}",
                key.key_id, key.key
            );
        }
        TenantCommand::List => print_tenants(&registry).await?,
        TenantCommand::RotateKey {
            tenant,
            grace_seconds,
        } => {
            let rotation = registry.rotate_key(&tenant, grace_seconds).await?;
            for old in &rotation.retired {
                println!("retired key {} (grace {grace_seconds} s)", old.key_id);
            }
            let key = rotation.issued;
            println!(
                "new API key {} (shown once, store it now):\n{}",
                key.key_id, key.key
            );
        }
    }
    store.close().await;
    Ok(())
}

async fn print_tenants(registry: &TenantRegistry) -> Result<()> {
    println!(
        "{:<32}  {:<8}  {:<24}  name",
        "id", "language", "active keys"
    );
    for tenant in registry.list().await? {
        let active: Vec<String> = registry
            .keys_of(&tenant.id)
            .await?
            .into_iter()
            .filter(|k| k.active)
            .map(|k| k.key_id)
            .collect();
        println!(
            "{:<32}  {:<8}  {:<24}  {}",
            tenant.id,
            tenant.widget.language,
            active.join(","),
            tenant.name
        );
    }
    Ok(())
}
