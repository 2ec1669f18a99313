//! The distributed mode: `hearken run --role …` runs some of the stages, joined to the
//! others by Kafka topics (DESIGN.md, "Data flow"). Each role scales on its own: start
//! more processes with the same role and they share the partitions of its input topic.
//!
//! | role         | reads                     | writes |
//! |--------------|---------------------------|--------|
//! | `connectors` | the configured sources    | raw topic (+ dead letters) |
//! | `core`       | raw topic (group `G.core`) | scored topic (+ dead letters, stage `core`) |
//! | `sinks`      | scored topic (group `G.sinks`) | the stores under `data_dir` (tantivy index, case store); case events to the cases topic |
//! | `dispatcher` | the case store's webhook outbox | the hospital CRM |
//! | `api`        | the stores under `data_dir` | HTTP |
//!
//! Every role that reads Kafka commits its offsets only after its output is confirmed
//! (the next topic has it, or the stores committed it), so a crash loses nothing and the
//! sinks, idempotent by post uid, store nothing twice. The stages are the embedded mode's
//! own (`crate::pipeline`), fed by a Kafka reader instead of a source.

pub mod connectors;
pub mod core;
pub mod sinks;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::api::{self, ApiState};
use crate::config::{Config, KafkaConfig, Secrets};
use crate::pipeline::Counters;
use crate::sinks::DataDir;
use crate::transport::kafka;
use crate::webhook::Dispatcher;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Connectors,
    Core,
    Sinks,
    Dispatcher,
    Api,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Connectors, Role::Core, Role::Sinks, Role::Dispatcher, Role::Api];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Connectors => "connectors",
            Role::Core => "core",
            Role::Sinks => "sinks",
            Role::Dispatcher => "dispatcher",
            Role::Api => "api",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Roles from `--role` values, each possibly comma-separated; all roles when none.
    pub fn parse_list(values: &[String]) -> anyhow::Result<Vec<Role>> {
        let mut roles = Vec::new();
        for name in values.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|n| !n.is_empty()) {
            let role = Role::parse(name).ok_or_else(|| {
                anyhow::anyhow!("--role {name}: unknown role; use connectors, core, sinks, dispatcher or api (comma-separated or repeated)")
            })?;
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        if roles.is_empty() {
            roles = Role::ALL.to_vec();
        }
        roles.sort();
        Ok(roles)
    }
}

/// The consumer group of a role: `GROUP_ID.ROLE`.
pub fn group(kafka: &KafkaConfig, role: Role) -> String {
    format!("{}.{}", kafka.group_id, role.as_str())
}

/// Runs `roles` until SIGTERM/Ctrl-C (or until one fails, which stops the others).
pub fn run(config: Config, roles: Vec<Role>, secrets: Secrets) -> anyhow::Result<ExitCode> {
    let kafka = config
        .kafka
        .clone()
        .ok_or_else(|| anyhow::anyhow!("mode = \"distributed\" needs a [kafka] section with brokers = \"host:port\""))?;
    let config = Arc::new(config);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async move {
        let t = &kafka.topics;
        kafka::ensure_topics(&kafka, &[&t.raw, &t.scored, &t.cases, &t.deadletter]).await?;
        let (stop_tx, stop) = watch::channel(false);
        let stop_tx = Arc::new(stop_tx);
        let on_signal = stop_tx.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            eprintln!("hearken: stopping — finishing the posts in flight and committing");
            on_signal.send_replace(true);
        });
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        eprintln!("hearken: distributed mode, roles {}, Kafka at {}", names.join(","), kafka.brokers);

        let pipeline_counters = Arc::new(Counters::default());
        let mut tasks: JoinSet<(Role, anyhow::Result<String>)> = JoinSet::new();
        for role in roles.iter().copied() {
            let (config, kafka, stop) = (config.clone(), kafka.clone(), stop.clone());
            // The API reports the sinks' counters (what is stored) when they run here.
            let counters = match role {
                Role::Sinks | Role::Api => pipeline_counters.clone(),
                _ => Arc::new(Counters::default()),
            };
            let secrets = secrets.clone();
            tasks.spawn(async move {
                let result = match role {
                    Role::Connectors => connectors::run(&config, &kafka, stop, counters).await,
                    Role::Core => core::run(&config, &kafka, stop, counters).await,
                    Role::Sinks => sinks::run(&config, &kafka, stop, counters).await,
                    Role::Dispatcher => run_dispatcher(&config, &secrets, stop).await,
                    Role::Api => run_api(&config, secrets, counters, stop).await,
                };
                (role, result)
            });
        }
        let mut failure: Option<anyhow::Error> = None;
        while let Some(joined) = tasks.join_next().await {
            let (role, result) = joined?;
            match result {
                Ok(summary) => eprintln!("hearken: {}: {summary}", role.as_str()),
                Err(e) => {
                    eprintln!("hearken: {} failed: {e:#}", role.as_str());
                    if failure.is_none() {
                        failure = Some(e.context(format!("role {}", role.as_str())));
                    }
                    stop_tx.send_replace(true); // one role down: stop the others cleanly
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(ExitCode::SUCCESS),
        }
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Resolves once `stop` turns true.
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// The webhook dispatcher, on the case store's outbox under `data_dir` (filled by the
/// sinks role of the same data dir).
async fn run_dispatcher(config: &Config, secrets: &Secrets, mut stop: watch::Receiver<bool>) -> anyhow::Result<String> {
    let Some(w) = &config.webhook else {
        stopped(&mut stop).await;
        return Ok("no [webhook] in the config: nothing to deliver".into());
    };
    let secret = secrets.webhook_secret.as_deref().ok_or_else(|| {
        anyhow::anyhow!("webhook is configured but HEARKEN_WEBHOOK_SECRET is not set; export the secret shared with the CRM")
    })?;
    let dir = DataDir::new(&config.data_dir);
    let dispatcher = Dispatcher::new(w, secret, &dir.case_store())?;
    eprintln!("hearken: delivering case events to {}", w.url);
    let s = dispatcher.run(stop).await?;
    Ok(format!("webhook: {} delivered, {} retried, {} dead", s.delivered, s.retried, s.dead))
}

/// The HTTP API over the stores under `data_dir`.
async fn run_api(config: &Config, secrets: Secrets, counters: Arc<Counters>, stop: watch::Receiver<bool>) -> anyhow::Result<String> {
    let addr: SocketAddr = config.api.listen.parse()?;
    let state = Arc::new(ApiState::new(config, secrets, counters)?);
    eprintln!("hearken: API on http://{addr}, data in {}", config.data_dir.display());
    api::serve(addr, state, stop).await?;
    Ok("API stopped".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_comma_separated_or_repeated_and_default_to_all() {
        let r = Role::parse_list(&["core,sinks".into(), "core".into(), "api".into()]).unwrap();
        assert_eq!(r, vec![Role::Core, Role::Sinks, Role::Api]);
        assert_eq!(Role::parse_list(&[]).unwrap(), Role::ALL.to_vec());
        let err = Role::parse_list(&["core,scorer".into()]).unwrap_err().to_string();
        assert!(err.contains("--role scorer"), "{err}");
    }
}
