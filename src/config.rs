//! Configuration: one TOML file (`config/default.toml` embedded, `config/distributed.toml`
//! with Kafka and ClickHouse) plus secrets from the environment only.
//!
//! Relative paths in the file are resolved from the working directory, the way the
//! README's commands run hearken (from the project root).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cases::spike::SpikeConfig;
use crate::core::complaint::model::{LinearModel, BUILTIN as BUILTIN_COMPLAINT_MODEL};
use crate::core::language::Lang;
use crate::core::noise::NoiseConfig;
use crate::core::priority::PriorityConfig;

pub const DEFAULT_CONFIG: &str = "config/default.toml";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub mode: Mode,
    /// Where the embedded stores live (case store, search index, dead letters).
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    #[serde(default)]
    pub core: CoreConfig,
    #[serde(default)]
    pub pipeline: PipelineConfig,
    #[serde(default)]
    pub cases: CasesConfig,
    /// Connectors that `hearken run` starts.
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
    #[serde(default)]
    pub api: ApiConfig,
    #[serde(default)]
    pub kafka: Option<KafkaConfig>,
    #[serde(default)]
    pub clickhouse: Option<ClickHouseConfig>,
    #[serde(default)]
    pub webhook: Option<WebhookConfig>,
    #[serde(default)]
    pub retention: RetentionConfig,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// One process, no servers: in-process channels, SQLite and tantivy on local disk.
    #[default]
    Embedded,
    /// Stages joined by Kafka; posts, cases and trends in ClickHouse.
    Distributed,
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CoreConfig {
    /// ISO 639-1 codes of the languages to score: any of "en", "id", "ms".
    pub languages: Vec<String>,
    /// The entities file the hospital edits.
    pub entities: PathBuf,
    /// A complaint model written by `hearken train`, used instead of the built-in one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complaint_model: Option<PathBuf>,
    pub noise: NoiseConfig,
    pub priority: PriorityConfig,
}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig {
            languages: vec!["en".into(), "id".into(), "ms".into()],
            entities: PathBuf::from("lexicons/entities.toml"),
            complaint_model: None,
            noise: NoiseConfig::default(),
            priority: PriorityConfig::default(),
        }
    }
}

impl CoreConfig {
    pub fn languages(&self) -> anyhow::Result<Vec<Lang>> {
        self.languages
            .iter()
            .map(|code| {
                Lang::parse(code).ok_or_else(|| {
                    anyhow::anyhow!("core.languages: \"{code}\" is not supported; use any of \"en\", \"id\", \"ms\"")
                })
            })
            .collect()
    }

    /// The complaint model to score with: `complaint_model` when set, else the built-in.
    pub fn complaint_model(&self) -> anyhow::Result<LinearModel> {
        match &self.complaint_model {
            Some(path) => LinearModel::load(path).map_err(|e| anyhow::anyhow!("core.complaint_model: {e:#}")),
            None => LinearModel::parse(BUILTIN_COMPLAINT_MODEL),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineConfig {
    /// Capacity of each channel between stages, in posts. Full channels slow the stage
    /// before them: that is the backpressure.
    pub channel_capacity: usize,
    /// The sinks commit when this many posts are waiting…
    pub batch_size: usize,
    /// …or when the oldest has waited this long.
    pub batch_timeout_ms: u64,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig { channel_capacity: 1024, batch_size: 1000, batch_timeout_ms: 200 }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CasesConfig {
    /// When an hour's negative volume about an entity counts as a spike.
    pub spikes: SpikeConfig,
}

/// One connector (`[[sources]]`, picked by `kind`). Each network's settings live next to
/// its code in `connectors/`; secrets are named by environment variable, never written here.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SourceConfig {
    /// A JSONL file of posts, read once from its last checkpoint.
    Replay {
        path: PathBuf,
        /// Keep reading what is appended after the end (like `tail -f`) until hearken stops.
        #[serde(default)]
        follow: bool,
    },
    Mastodon(crate::connectors::mastodon::MastodonConfig),
    Bluesky(crate::connectors::bluesky::BlueskyConfig),
    Reddit(crate::connectors::reddit::RedditConfig),
    Rss(crate::connectors::rss::RssConfig),
    X(crate::connectors::x::XConfig),
    Facebook(crate::connectors::facebook::FacebookConfig),
    /// Posts pushed to `POST /api/ingest` (role `ingest`), spooled durably, then read here.
    Webhook(crate::connectors::webhook_ingest::WebhookIngestConfig),
}

impl SourceConfig {
    /// `kind:name` of a network source (its checkpoint key), None for files.
    pub fn stream_key(&self) -> Option<String> {
        match self {
            SourceConfig::Replay { .. } => None,
            SourceConfig::Mastodon(c) => Some(format!("mastodon:{}", c.name)),
            SourceConfig::Bluesky(c) => Some(format!("bluesky:{}", c.name)),
            SourceConfig::Reddit(c) => Some(format!("reddit:{}", c.name)),
            SourceConfig::Rss(c) => Some(format!("rss:{}", c.name)),
            SourceConfig::X(c) => Some(format!("x:{}", c.name)),
            SourceConfig::Facebook(c) => Some(format!("facebook:{}", c.name)),
            SourceConfig::Webhook(_) => Some("webhook:ingest".into()),
        }
    }

    /// The environment variables this source reads its secrets from.
    pub fn secret_vars(&self) -> Vec<&str> {
        match self {
            SourceConfig::Replay { .. } | SourceConfig::Webhook(_) => vec![],
            SourceConfig::Mastodon(c) => c.token_env.as_deref().into_iter().collect(),
            SourceConfig::Bluesky(c) => c.token_env.as_deref().into_iter().collect(),
            SourceConfig::Rss(c) => c.token_env.as_deref().into_iter().collect(),
            SourceConfig::Reddit(c) => vec![c.client_id_env.as_str(), c.client_secret_env.as_str()],
            SourceConfig::X(c) => vec![c.token_env.as_str()],
            SourceConfig::Facebook(c) => vec![c.token_env.as_str()],
        }
    }

    /// What is wrong with this entry, each problem prefixed with `at` (e.g. "sources[2]").
    pub fn problems(&self, at: &str) -> Vec<String> {
        match self {
            SourceConfig::Replay { path, .. } if !path.is_file() => {
                vec![format!("{at}.path: {} is not a file; give the path of a JSONL file of posts", path.display())]
            }
            SourceConfig::Replay { .. } => vec![],
            SourceConfig::Mastodon(c) => c.problems(at),
            SourceConfig::Bluesky(c) => c.problems(at),
            SourceConfig::Reddit(c) => c.problems(at),
            SourceConfig::Rss(c) => c.problems(at),
            SourceConfig::X(c) => c.problems(at),
            SourceConfig::Facebook(c) => c.problems(at),
            SourceConfig::Webhook(c) => c.problems(at),
        }
    }
}

/// The HTTP API and dashboard (`src/api`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    pub listen: String,
    /// Requests per second each token may make, sustained…
    pub rate_limit_per_second: f64,
    /// …and in a burst above that (the dashboard opens with a handful at once).
    pub rate_limit_burst: u32,
    /// Largest request body accepted, in bytes (case notes are short).
    pub max_body_bytes: usize,
    /// How often the alert stream looks for case changes another process committed
    /// (distributed mode); in the embedded mode the sink also wakes it on every commit.
    pub feed_poll_ms: u64,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            listen: "127.0.0.1:8080".into(),
            rate_limit_per_second: 50.0,
            rate_limit_burst: 200,
            max_body_bytes: 64 * 1024,
            feed_poll_ms: 500,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// Comma-separated host:port list; `HEARKEN_KAFKA_BROKERS` overrides it.
    pub brokers: String,
    /// Prefix of the consumer groups: each role that consumes has its own group,
    /// `GROUP_ID.core` and `GROUP_ID.sinks`; processes of one role share its partitions.
    #[serde(default = "default_group")]
    pub group_id: String,
    #[serde(default)]
    pub topics: TopicsConfig,
    /// Idempotent producer (`enable.idempotence`): a retried send never writes a message
    /// twice. Turn off only for brokers without idempotent producers (a warning is logged).
    #[serde(default = "default_true")]
    pub idempotence: bool,
    /// Consumer session timeout. Tansu (the test broker) completes a group's first join
    /// only after about half of it, so keep it short there.
    #[serde(default = "default_session_timeout_ms")]
    pub session_timeout_ms: u64,
}

fn default_group() -> String {
    "hearken".into()
}

fn default_true() -> bool {
    true
}

fn default_session_timeout_ms() -> u64 {
    6000
}

fn default_replication_factor() -> i32 {
    1
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TopicsConfig {
    pub raw: String,
    pub scored: String,
    pub cases: String,
    pub deadletter: String,
    /// Partitions of the topics hearken creates (topics that exist are left alone): the
    /// most processes of one role that can share the work.
    pub partitions: i32,
    /// Replicas of the topics hearken creates (1 for a single test broker, 3 in production).
    #[serde(default = "default_replication_factor")]
    pub replication_factor: i32,
}

impl Default for TopicsConfig {
    fn default() -> Self {
        TopicsConfig {
            raw: "hearken.posts.raw".into(),
            scored: "hearken.posts.scored".into(),
            cases: "hearken.cases".into(),
            deadletter: "hearken.deadletter".into(),
            partitions: 6,
            replication_factor: 1,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClickHouseConfig {
    /// HTTP interface, e.g. "http://127.0.0.1:8123".
    pub url: String,
    #[serde(default = "default_database")]
    pub database: String,
    #[serde(default = "default_user")]
    pub user: String,
    /// The sink inserts when this many rows are buffered…
    #[serde(default = "default_ch_batch_rows")]
    pub batch_rows: usize,
    /// …or when the oldest buffered row has waited this long.
    #[serde(default = "default_ch_batch_ms")]
    pub batch_ms: u64,
    /// A failed request is retried after retry_base_ms, doubling up to retry_cap_ms.
    #[serde(default = "default_ch_retry_base_ms")]
    pub retry_base_ms: u64,
    #[serde(default = "default_ch_retry_cap_ms")]
    pub retry_cap_ms: u64,
    /// 0 (the default): retry for ever, so a ClickHouse outage pauses the consumer
    /// (backpressure) instead of losing posts. Otherwise give up after this many seconds.
    #[serde(default)]
    pub give_up_after_secs: u64,
    /// Time limit of one request (an INSERT of a batch, a query).
    #[serde(default = "default_ch_request_timeout_ms")]
    pub request_timeout_ms: u64,
}

fn default_ch_batch_rows() -> usize {
    10_000
}

fn default_ch_batch_ms() -> u64 {
    1000
}

fn default_ch_retry_base_ms() -> u64 {
    200
}

fn default_ch_retry_cap_ms() -> u64 {
    10_000
}

fn default_ch_request_timeout_ms() -> u64 {
    30_000
}

/// How long stored posts and closed cases are kept (`[retention]`), in every store:
/// ClickHouse, the search index and the embedded case store. Applied by
/// `hearken erase --expired` (and `maintenance::apply_retention` in the distributed sinks).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Posts (with their trend facts) older than this many days, by their `created_at`.
    pub posts_days: u32,
    /// Resolved or dismissed cases whose last change is older than this many days, with
    /// their audit trail. Open cases are never expired.
    pub cases_days: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig { posts_days: 365, cases_days: 730 }
    }
}

fn default_database() -> String {
    "hearken".into()
}

fn default_user() -> String {
    "default".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// The CRM endpoint that receives case events.
    pub url: String,
    /// Which case events are sent, e.g. ["opened", "escalated", "resolved"].
    #[serde(default = "default_events")]
    pub events: Vec<String>,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// Retries wait a random time between 0 and `backoff_base_ms · 2^(attempt-1)`, capped
    /// at `backoff_cap_ms` (exponential backoff with full jitter).
    #[serde(default = "default_backoff_base_ms")]
    pub backoff_base_ms: u64,
    #[serde(default = "default_backoff_cap_ms")]
    pub backoff_cap_ms: u64,
    /// Deliveries in flight at once (each case's events still go out one by one, in order).
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
}

fn default_backoff_base_ms() -> u64 {
    1000
}

fn default_backoff_cap_ms() -> u64 {
    600_000
}

fn default_concurrency() -> usize {
    4
}

fn default_events() -> Vec<String> {
    vec!["opened".into(), "escalated".into()]
}

fn default_timeout_ms() -> u64 {
    5000
}

fn default_attempts() -> u32 {
    12
}

/// API roles (DESIGN.md, "Reliability contract").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Officer,
    Marketing,
    Admin,
    Ingest,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "officer" => Some(Role::Officer),
            "marketing" => Some(Role::Marketing),
            "admin" => Some(Role::Admin),
            "ingest" => Some(Role::Ingest),
            _ => None,
        }
    }
}

/// One API token: who holds it (recorded as the actor of their case actions) and its role.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub role: Role,
    pub name: String,
    pub token: String,
}

impl std::fmt::Debug for ApiToken {
    // The token itself never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiToken").field("role", &self.role).field("name", &self.name).finish_non_exhaustive()
    }
}

/// Secrets, read from the environment only: never from the config file or the repo.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// From `HEARKEN_API_TOKENS`, comma-separated `role:name:token` (or `role:token`, named
    /// `role-N` after its place in the list).
    pub api_tokens: Vec<ApiToken>,
    /// From `HEARKEN_WEBHOOK_SECRET`.
    pub webhook_secret: Option<String>,
}

impl Secrets {
    pub fn from_env() -> Result<Secrets, Vec<String>> {
        Secrets::from_vars(std::env::var("HEARKEN_API_TOKENS").ok(), std::env::var("HEARKEN_WEBHOOK_SECRET").ok())
    }

    pub fn from_vars(tokens: Option<String>, webhook: Option<String>) -> Result<Secrets, Vec<String>> {
        let mut problems = Vec::new();
        let mut api_tokens: Vec<ApiToken> = Vec::new();
        for (i, entry) in tokens.as_deref().unwrap_or("").split(',').map(str::trim).filter(|e| !e.is_empty()).enumerate() {
            let n = i + 1;
            let parts: Vec<&str> = entry.splitn(3, ':').map(str::trim).collect();
            let (role, name, token) = match parts.as_slice() {
                [role, token] => (*role, None, *token),
                [role, name, token] => (*role, Some(*name), *token),
                _ => {
                    problems.push(format!("HEARKEN_API_TOKENS entry {n}: write it as role:name:token, e.g. officer:siti:3f9c…"));
                    continue;
                }
            };
            let Some(parsed) = Role::parse(role) else {
                problems.push(format!("HEARKEN_API_TOKENS entry {n}: role \"{role}\" is unknown; use officer, marketing, admin or ingest"));
                continue;
            };
            if token.len() < 16 {
                problems.push(format!(
                    "HEARKEN_API_TOKENS entry {n}: the token is shorter than 16 characters; generate one with `openssl rand -hex 24`"
                ));
                continue;
            }
            let name = match name {
                Some(name) if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || "._@-".contains(c)) => {
                    problems.push(format!(
                        "HEARKEN_API_TOKENS entry {n}: the name \"{name}\" must be letters, digits, '.', '_', '@' or '-' (it is recorded in the audit trail)"
                    ));
                    continue;
                }
                Some(name) => name.to_string(),
                None => format!("{role}-{n}"),
            };
            if api_tokens.iter().any(|t| t.name == name) {
                problems.push(format!("HEARKEN_API_TOKENS entry {n}: the name \"{name}\" is used twice; give each token its own name"));
                continue;
            }
            api_tokens.push(ApiToken { role: parsed, name, token: token.to_string() });
        }
        let webhook_secret = webhook.filter(|s| !s.is_empty());
        if problems.is_empty() {
            Ok(Secrets { api_tokens, webhook_secret })
        } else {
            Err(problems)
        }
    }
}

impl Config {
    /// Reads and parses a config file. Semantic checks are in [`Config::problems`].
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            anyhow::anyhow!("cannot read config {}: {e}; pass --config FILE (the embedded default is {DEFAULT_CONFIG})", path.display())
        })?;
        Config::parse(&text).map_err(|e| anyhow::anyhow!("config {}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let mut config: Config = toml::from_str(text)?;
        if let (Some(kafka), Ok(brokers)) = (config.kafka.as_mut(), std::env::var("HEARKEN_KAFKA_BROKERS")) {
            if !brokers.trim().is_empty() {
                kafka.brokers = brokers;
            }
        }
        Ok(config)
    }

    /// The config file given, or the embedded default when it exists, or built-in defaults.
    pub fn load_or_default(path: Option<&Path>) -> anyhow::Result<Config> {
        match path {
            Some(p) => Config::load(p),
            None if Path::new(DEFAULT_CONFIG).exists() => Config::load(Path::new(DEFAULT_CONFIG)),
            None => Config::parse(""),
        }
    }

    /// Every problem with this config and the environment, each naming the key and what
    /// to do. Empty when the config is usable.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Err(e) = self.core.languages() {
            out.push(e.to_string());
        }
        if self.core.languages.is_empty() {
            out.push("core.languages is empty; list at least one of \"en\", \"id\", \"ms\"".into());
        }
        match crate::core::EntitiesFile::load(&self.core.entities) {
            Ok(file) if file.hospital.is_empty() && file.keyword.is_empty() => out.push(format!(
                "core.entities: {} names no [[hospital]] and no [[keyword]]; nothing would ever be relevant",
                self.core.entities.display()
            )),
            Ok(_) => {}
            Err(e) => out.push(format!("core.entities: {e}")),
        }
        if let Err(e) = self.core.complaint_model() {
            out.push(format!("{e:#}"));
        }
        let p = &self.pipeline;
        if p.channel_capacity == 0 {
            out.push("pipeline.channel_capacity must be at least 1 (1024 is a good start)".into());
        }
        if p.batch_size == 0 {
            out.push("pipeline.batch_size must be at least 1 (1000 is a good start)".into());
        }
        if p.batch_timeout_ms == 0 {
            out.push("pipeline.batch_timeout_ms must be at least 1 (200 keeps alerts under a second)".into());
        }
        let spikes = &self.cases.spikes;
        if !(spikes.p_value > 0.0 && spikes.p_value < 1.0) {
            out.push("cases.spikes.p_value must be between 0 and 1 (1e-4 is a good start)".into());
        }
        if spikes.baseline_weeks == 0 {
            out.push("cases.spikes.baseline_weeks must be at least 1 (4 is a good start)".into());
        }
        if self.core.noise.near_duplicate_bits > 64 {
            out.push("core.noise.near_duplicate_bits must be between 0 and 64 (3 is a good start)".into());
        }
        let mut streams = std::collections::HashSet::new();
        for (i, source) in self.sources.iter().enumerate() {
            out.extend(source.problems(&format!("sources[{i}]")));
            if let Some(name) = source.stream_key() {
                if !streams.insert(name.clone()) {
                    out.push(format!("sources[{i}]: another source is also named \"{name}\"; names keep each source's cursor apart, make them unique"));
                }
            }
        }
        if self.api.listen.parse::<SocketAddr>().is_err() {
            out.push(format!("api.listen: \"{}\" is not an address; write host:port, e.g. \"127.0.0.1:8080\"", self.api.listen));
        }
        if self.mode == Mode::Distributed {
            match &self.kafka {
                None => out.push("mode = \"distributed\" needs a [kafka] section with brokers = \"host:port\"".into()),
                Some(k) if k.brokers.trim().is_empty() => {
                    out.push("kafka.brokers is empty; set it or HEARKEN_KAFKA_BROKERS to host:port[,host:port]".into())
                }
                Some(k) if k.topics.partitions < 1 => out.push("kafka.topics.partitions must be at least 1".into()),
                Some(k) if k.topics.replication_factor < 1 => out.push("kafka.topics.replication_factor must be at least 1".into()),
                Some(k) if k.session_timeout_ms < 1000 => out.push("kafka.session_timeout_ms must be at least 1000 (6000 is a good start)".into()),
                _ => {}
            }
            match &self.clickhouse {
                None => out.push("mode = \"distributed\" needs a [clickhouse] section with url = \"http://host:8123\"".into()),
                Some(c) if !c.url.starts_with("http://") && !c.url.starts_with("https://") => out.push(format!(
                    "clickhouse.url: \"{}\" must be the HTTP interface, e.g. \"http://127.0.0.1:8123\"",
                    c.url
                )),
                _ => {}
            }
        }
        if let Some(c) = &self.clickhouse {
            if let Err(e) = crate::sinks::clickhouse::schema::check_identifier(&c.database) {
                out.push(e.to_string());
            }
            if c.batch_rows == 0 || c.batch_ms == 0 {
                out.push("clickhouse.batch_rows and clickhouse.batch_ms must be at least 1 (10000 and 1000 are good starts)".into());
            }
            if c.retry_base_ms == 0 || c.retry_cap_ms < c.retry_base_ms {
                out.push("clickhouse.retry_base_ms must be at least 1 and clickhouse.retry_cap_ms at least as large (200 and 10000 are good starts)".into());
            }
            if let Err(e) = crate::sinks::pseudonym::Pseudonymizer::from_env() {
                out.push(e.to_string());
            }
        }
        if self.retention.posts_days == 0 || self.retention.cases_days == 0 {
            out.push("retention.posts_days and retention.cases_days must be at least 1 (365 and 730 are good starts)".into());
        }
        let secrets = Secrets::from_env();
        if let Err(problems) = &secrets {
            out.extend(problems.iter().cloned());
        }
        if let Some(w) = &self.webhook {
            if !w.url.starts_with("http://") && !w.url.starts_with("https://") {
                out.push(format!("webhook.url: \"{}\" must be an http(s) URL of the CRM endpoint", w.url));
            }
            for e in &w.events {
                if !["opened", "post_added", "escalated", "acknowledged", "assigned", "noted", "resolved", "dismissed", "reopened", "merged"].contains(&e.as_str()) {
                    out.push(format!("webhook.events: \"{e}\" is not a case event; use opened, escalated, assigned, resolved, dismissed, …"));
                }
            }
            if w.max_attempts == 0 {
                out.push("webhook.max_attempts must be at least 1".into());
            }
            if w.timeout_ms == 0 {
                out.push("webhook.timeout_ms must be at least 1 (5000 is a good start)".into());
            }
            if w.backoff_base_ms == 0 || w.backoff_cap_ms < w.backoff_base_ms {
                out.push("webhook.backoff_base_ms must be at least 1 and webhook.backoff_cap_ms at least as large (1000 and 600000 are good starts)".into());
            }
            if w.concurrency == 0 {
                out.push("webhook.concurrency must be at least 1 (4 is a good start)".into());
            }
            if secrets.as_ref().is_ok_and(|s| s.webhook_secret.is_none()) {
                out.push("webhook is configured but HEARKEN_WEBHOOK_SECRET is not set; export the secret shared with the CRM".into());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_configs_parse() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let embedded = Config::load(&root.join("config/default.toml")).unwrap();
        assert_eq!(embedded.mode, Mode::Embedded);
        assert!(embedded.kafka.is_none() && embedded.clickhouse.is_none());
        let distributed = Config::load(&root.join("config/distributed.toml")).unwrap();
        assert_eq!(distributed.mode, Mode::Distributed);
        assert!(distributed.kafka.is_some() && distributed.clickhouse.is_some());
    }

    #[test]
    fn unknown_keys_are_errors_that_name_the_key() {
        let err = Config::parse("[pipeline]\nbatch_sise = 10\n").unwrap_err().to_string();
        assert!(err.contains("batch_sise"), "{err}");
    }

    #[test]
    fn problems_are_all_reported_with_their_key() {
        let config = Config::parse(
            "mode = \"distributed\"\n[core]\nlanguages = [\"fr\"]\nentities = \"/nonexistent.toml\"\ncomplaint_model = \"/nonexistent-model.txt\"\n[pipeline]\nbatch_size = 0\n[api]\nlisten = \"nowhere\"\n",
        )
        .unwrap();
        let problems = config.problems().join("\n");
        for key in ["core.languages", "core.entities", "core.complaint_model", "pipeline.batch_size", "api.listen", "[kafka]", "[clickhouse]"] {
            assert!(problems.contains(key), "{key} missing from:\n{problems}");
        }
    }

    #[test]
    fn api_tokens_from_the_environment_format() {
        let ok = Secrets::from_vars(Some("officer:0123456789abcdef0, admin:ana:fedcba98765432100".into()), None).unwrap();
        assert_eq!(ok.api_tokens.len(), 2);
        assert_eq!((ok.api_tokens[0].role, ok.api_tokens[0].name.as_str()), (Role::Officer, "officer-1"));
        assert_eq!((ok.api_tokens[1].role, ok.api_tokens[1].name.as_str()), (Role::Admin, "ana"));
        assert_eq!(ok.api_tokens[1].token, "fedcba98765432100");
        assert!(!format!("{:?}", ok.api_tokens[1]).contains("fedcba"), "tokens stay out of Debug output");
        let bad = Secrets::from_vars(Some("boss:0123456789abcdef0,officer:short,nocolon,officer:a b:0123456789abcdef0".into()), None).unwrap_err();
        assert_eq!(bad.len(), 4);
        assert!(bad[0].contains("role \"boss\" is unknown"));
        assert!(bad[3].contains("the name \"a b\""));
    }
}
