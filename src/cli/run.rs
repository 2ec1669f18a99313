//! `hearken run`: the long-running service.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use tokio::sync::watch;

use crate::api::{self, ApiState};
use crate::config::{Config, Mode, Secrets};
use crate::connectors::source::ConfiguredSource;
use crate::connectors::Resume;
use crate::core::{EntitiesFile, Scorer};
use crate::model::CaseEventKind;
use crate::pipeline::{self, Counters, EmbeddedSink};
use crate::sinks::DataDir;
use crate::webhook::Dispatcher;

/// Run hearken as a service: the configured sources feed the pipeline, cases and the
/// search index fill up, and the HTTP API serves the alert queue. Ctrl-C or SIGTERM stop
/// reading, drain the posts in flight, flush the sinks and exit; a restart resumes each
/// source from its checkpoint. In the distributed mode the stages are joined by Kafka
/// topics and `--role` picks which of them this process runs.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  hearken run                                   # embedded mode, config/default.toml
  HEARKEN_API_TOKENS=officer:$(openssl rand -hex 24) hearken run --listen 127.0.0.1:9000
  hearken run --config my.toml --data-dir /var/lib/hearken
  hearken run --config config/distributed.toml                    # distributed: every role
  hearken run --config config/distributed.toml --role core        # one more scoring process
  hearken run --config config/distributed.toml --role sinks,api,dispatcher")]
pub struct Args {
    #[command(flatten)]
    config: super::ConfigArgs,
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Address of the HTTP API (overrides api.listen).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Distributed mode only: the stages this process runs — connectors, core, sinks,
    /// dispatcher, api — comma-separated or repeated. Default: all of them.
    #[arg(long, value_name = "ROLE")]
    role: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut config = Config::load_or_default(args.config.config.as_deref())?;
    if let Some(dir) = args.data_dir {
        config.data_dir = dir;
    }
    if let Some(listen) = args.listen {
        config.api.listen = listen;
    }
    if config.mode != Mode::Distributed && !args.role.is_empty() {
        anyhow::bail!("--role is for the distributed mode (mode = \"distributed\", e.g. config/distributed.toml); the embedded mode runs every stage in one process");
    }
    let problems = config.problems();
    if !problems.is_empty() {
        anyhow::bail!("the config has problems (see `hearken check-config`):\n  - {}", problems.join("\n  - "));
    }
    let secrets = Secrets::from_env().map_err(|p| anyhow::anyhow!(p.join("; ")))?;
    if config.mode == Mode::Distributed {
        let roles = crate::roles::Role::parse_list(&args.role)?;
        return crate::roles::run(config, roles, secrets);
    }
    let addr: SocketAddr = config.api.listen.parse()?;
    let entities = EntitiesFile::load(&config.core.entities)?;
    let mut scorer = Scorer::new(&config.core, &entities)?;
    let dir = DataDir::new(&config.data_dir);
    let mut sink = EmbeddedSink::open(&dir)?;
    sink.store.detect_spikes(config.cases.spikes.clone());
    // The case store queues the configured events in its outbox, in the transaction of the
    // change each reports; the dispatcher delivers them from there.
    let webhook = match &config.webhook {
        Some(w) => {
            let events = w
                .events
                .iter()
                .map(|e| CaseEventKind::parse(e).ok_or_else(|| anyhow::anyhow!("webhook.events: \"{e}\" is not a case event")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            sink.store.send_to_webhook(events);
            let secret = secrets.webhook_secret.as_deref().ok_or_else(|| {
                anyhow::anyhow!("webhook is configured but HEARKEN_WEBHOOK_SECRET is not set; export the secret shared with the CRM")
            })?;
            Some((w.url.clone(), Dispatcher::new(w, secret, &dir.case_store())?))
        }
        None => None,
    };
    let earlier = sink.store.recent_posts(config.core.noise.duplicate_window)?;
    scorer.warm_up(earlier.iter().map(|s| (&s.post, &s.assessment)));
    // Pushed posts (a `kind = "webhook"` source): the API's ingest route spools them, a
    // source reads the spool into the pipeline.
    let ingest = crate::connectors::webhook_ingest::from_config(&config, &secrets.api_tokens)?;
    let spool = ingest.as_ref().map(|(_, spool)| spool.clone());
    let sources: Vec<(ConfiguredSource, Resume)> = config
        .sources
        .iter()
        .map(|s| {
            let source = ConfiguredSource::build(s, spool.as_ref())?;
            let from = sink.store.resume_point(source.stream())?;
            Ok((source, from))
        })
        .collect::<anyhow::Result<_>>()?;

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async move {
        let (stop_tx, stop) = watch::channel(false);
        tokio::spawn(async move {
            wait_for_signal().await;
            eprintln!("hearken: stopping — finishing the posts in flight and flushing the stores");
            let _ = stop_tx.send(true);
        });
        let dispatcher = webhook.map(|(url, d)| {
            eprintln!("hearken: delivering case events to {url}");
            tokio::spawn(d.run(stop.clone()))
        });
        let running = pipeline::start(scorer, sink, &config.pipeline);
        let state = Arc::new(ApiState::new(&config, secrets, running.counters.clone())?);
        let api = match ingest {
            Some((routes, _)) => tokio::spawn(api::serve_with_routes(addr, state, routes, stop.clone())),
            None => tokio::spawn(api::serve(addr, state, stop.clone())),
        };
        eprintln!("hearken: running in embedded mode, data in {}, API on http://{addr}", config.data_dir.display());
        let mut readers = Vec::new();
        for (source, from) in sources {
            let (input, stop) = (running.input.clone(), stop.clone());
            readers.push(tokio::spawn(async move {
                let stream = source.stream().to_string();
                let stats = source.run(from, input, stop).await;
                match &stats {
                    Ok(s) if s.completed => eprintln!("hearken: {stream} read to its end ({} posts, {} dead letters)", s.read, s.rejected),
                    Ok(_) => {}
                    Err(e) => eprintln!("hearken: source {stream} failed: {e:#}"),
                }
            }));
        }
        for r in readers {
            r.await?;
        }
        // Files are read; network connectors and the ingest spool only end when told to
        // stop. The service stays up for the API until then.
        let mut wait = stop.clone();
        let _ = wait.wait_for(|s| *s).await;
        let counters: Arc<Counters> = running.finish().await?;
        api.await??;
        if let Some(d) = dispatcher {
            // Deliveries still pending stay in the outbox for the next run.
            let s = d.await??;
            eprintln!("hearken: webhook: {} delivered, {} retried, {} dead", s.delivered, s.retried, s.dead);
        }
        eprintln!(
            "hearken: stopped after {} posts scored, {} stored, {} cases opened",
            Counters::get(&counters.scored),
            Counters::get(&counters.stored),
            Counters::get(&counters.cases_opened)
        );
        Ok(ExitCode::SUCCESS)
    })
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
