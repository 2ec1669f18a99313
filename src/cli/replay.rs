//! `hearken replay FILE`: a JSONL corpus through the whole pipeline, to completion; or,
//! with `--to kafka`, published to the raw topic for the distributed roles.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::watch;

use crate::config::Config;
use crate::connectors::replay::ReplaySource;
use crate::core::{EntitiesFile, Scorer};
use crate::pipeline::{self, Counters, EmbeddedSink};
use crate::sinks::DataDir;

/// Feed a JSON-lines file of posts through the whole pipeline (score, index, open cases)
/// and print a summary. Replaying the same file again adds nothing twice: posts are
/// stored by uid (`source:id`). Invalid lines go to DATA_DIR/deadletter.jsonl.
/// Ctrl-C stops reading, finishes what is in flight and prints the summary so far.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  hearken replay tests/data/sample_posts.jsonl
  hearken replay backfill.jsonl --data-dir /var/lib/hearken --config config/default.toml
  hearken replay backfill.jsonl --to kafka --config config/distributed.toml   # publish to the raw topic")]
pub struct Args {
    /// JSON-lines file of posts (DESIGN.md, \"Post\").
    file: PathBuf,
    #[command(flatten)]
    config: super::ConfigArgs,
    /// Data directory for the case store and index (overrides data_dir in the config).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Where the posts go: through the embedded pipeline (default), or published to the
    /// raw Kafka topic of the config's [kafka] section for the distributed roles.
    #[arg(long, value_enum, default_value_t = Target::Embedded)]
    to: Target,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Target {
    Embedded,
    Kafka,
}

/// What a replay did, for the summary and for tests.
#[derive(Debug, Clone, Copy)]
pub struct ReplaySummary {
    pub read: u64,
    pub stored: u64,
    pub relevant: u64,
    pub complaints: u64,
    pub cases_opened: u64,
    pub dead_letters: u64,
    pub seconds: f64,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut config = Config::load_or_default(args.config.config.as_deref())?;
    if let Some(dir) = args.data_dir {
        config.data_dir = dir;
    }
    if args.to == Target::Kafka {
        let published = publish_to_kafka(&config, &args.file, true)?;
        let rate = if published.seconds > 0.0 { published.posts as f64 / published.seconds } else { 0.0 };
        println!(
            "published {} posts to {} · dead letters {} to {} · {rate:.0} posts/s",
            published.posts, published.raw_topic, published.dead_letters, published.deadletter_topic
        );
        return Ok(ExitCode::SUCCESS);
    }
    let summary = replay(&config, &args.file, true)?;
    print_summary(&summary);
    Ok(ExitCode::SUCCESS)
}

/// What `replay --to kafka` published.
#[derive(Debug, Clone)]
pub struct Published {
    pub posts: u64,
    pub dead_letters: u64,
    pub raw_topic: String,
    pub deadletter_topic: String,
    pub seconds: f64,
}

/// Publishes `file` to the raw topic (posts keyed by uid; invalid lines to the dead-letter
/// topic), creating the topics when missing. No checkpoint: a second run publishes again,
/// and the sinks store each post once.
pub fn publish_to_kafka(config: &Config, file: &Path, show_progress: bool) -> anyhow::Result<Published> {
    use crate::roles::connectors;
    use crate::transport::kafka;
    let kafka = config.kafka.clone().ok_or_else(|| {
        anyhow::anyhow!("--to kafka needs a [kafka] section in the config; pass --config config/distributed.toml (brokers from HEARKEN_KAFKA_BROKERS)")
    })?;
    if !file.is_file() {
        anyhow::bail!("{} is not a file; give the path of a JSON-lines file of posts", file.display());
    }
    let total_lines = count_lines(file)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        kafka::ensure_topics(&kafka, &[&kafka.topics.raw, &kafka.topics.deadletter]).await?;
        let started = Instant::now();
        let (stop_tx, stop) = watch::channel(false);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("stopping: finishing the posts in flight…");
                let _ = stop_tx.send(true);
            }
        });
        let counters = Arc::new(Counters::default());
        let bar = show_progress.then(|| progress_bar(total_lines));
        let ticker = bar.clone().map(|bar| {
            let counters = counters.clone();
            tokio::spawn(async move {
                loop {
                    bar.set_position(Counters::get(&counters.committed));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        });
        let source = crate::connectors::source::ConfiguredSource::replay(file, false);
        let read = connectors::publish(vec![(source, crate::connectors::Resume::default())], &kafka, &config.pipeline, stop, counters.clone(), None).await?;
        if let Some(t) = ticker {
            t.abort();
        }
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        let mut dead_letters = 0;
        for (_, stats) in read {
            dead_letters += stats?.rejected;
        }
        Ok(Published {
            posts: Counters::get(&counters.stored),
            dead_letters,
            raw_topic: kafka.topics.raw.clone(),
            deadletter_topic: kafka.topics.deadletter.clone(),
            seconds: started.elapsed().as_secs_f64(),
        })
    })
}

pub fn print_summary(s: &ReplaySummary) {
    let rate = if s.seconds > 0.0 { s.read as f64 / s.seconds } else { 0.0 };
    println!(
        "posts {} ({} new) · relevant {} · complaints {} · cases opened {} · dead letters {} · {:.0} posts/s",
        s.read, s.stored, s.relevant, s.complaints, s.cases_opened, s.dead_letters, rate
    );
}

/// Runs the pipeline over `file` into the config's data dir.
pub fn replay(config: &Config, file: &Path, show_progress: bool) -> anyhow::Result<ReplaySummary> {
    if !file.is_file() {
        anyhow::bail!("{} is not a file; give the path of a JSON-lines file of posts", file.display());
    }
    let entities = EntitiesFile::load(&config.core.entities)?;
    let scorer = Scorer::new(&config.core, &entities)?;
    let mut sink = EmbeddedSink::open(&DataDir::new(&config.data_dir))?;
    sink.store.detect_spikes(config.cases.spikes.clone());
    let total_lines = count_lines(file)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let started = Instant::now();
        let running = pipeline::start(scorer, sink, &config.pipeline);
        let (stop_tx, stop) = watch::channel(false);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("stopping: finishing the posts in flight…");
                let _ = stop_tx.send(true);
            }
        });
        let bar = show_progress.then(|| progress_bar(total_lines));
        let ticker = bar.clone().map(|bar| {
            let counters = running.counters.clone();
            tokio::spawn(async move {
                loop {
                    bar.set_position(Counters::get(&counters.committed));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        });
        let source = ReplaySource::new(file);
        let read = source.run(0, running.input.clone(), stop).await;
        let counters: Arc<Counters> = running.finish().await?;
        if let Some(t) = ticker {
            t.abort();
        }
        if let Some(bar) = bar {
            bar.set_position(Counters::get(&counters.committed));
            bar.finish_and_clear();
        }
        let stats = read?;
        Ok(ReplaySummary {
            read: stats.lines - stats.rejected,
            stored: Counters::get(&counters.stored),
            relevant: Counters::get(&counters.relevant),
            complaints: Counters::get(&counters.complaints),
            cases_opened: Counters::get(&counters.cases_opened),
            dead_letters: Counters::get(&counters.rejected),
            seconds: started.elapsed().as_secs_f64(),
        })
    })
}

fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bar:40} {pos}/{len} posts · {per_sec} · eta {eta}")
            .expect("static template")
            .progress_chars("█▉▊▋▌▍▎▏ "),
    );
    bar
}

fn count_lines(file: &Path) -> anyhow::Result<u64> {
    use std::io::Read;
    let mut f = std::fs::File::open(file)?;
    let mut buf = vec![0u8; 1 << 16];
    let mut lines = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(lines);
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
}
