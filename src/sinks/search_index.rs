//! The search index: relevant posts in tantivy on local disk, for officers and marketing.
//!
//! Documents are keyed by post uid: every write deletes the uid first, so writing a post
//! twice (a replay after a crash) leaves one document. Text is tokenized without stemming
//! and folded to ASCII, which serves English and Indonesian alike ("rumah sakit" finds
//! "Rumah Sakit", "pelayanan" finds "PELAYANAN").

use std::path::Path;

use tantivy::collector::TopDocs;
use tantivy::directory::MmapDirectory;
use tantivy::query::QueryParser;
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED, STRING,
};
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer};
use tantivy::{doc, DateTime, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::case_store::ScoredPost;

const TOKENIZER: &str = "hearken";
/// One indexing thread with tantivy's smallest budget: the sink commits every batch (a few
/// dozen relevant posts), and each commit starts a segment per thread whose term table is
/// sized (and zeroed) from the thread's budget, so a larger budget or more threads cost
/// more per batch than they save in indexing. A bulk backfill still fills 15 MB segments.
const WRITER_THREADS: usize = 1;
const WRITER_HEAP_BYTES: usize = 15_000_000;

#[derive(Clone, Copy)]
struct Fields {
    uid: Field,
    text: Field,
    entity: Field,
    category: Field,
    lang: Field,
    sentiment: Field,
    priority: Field,
    created_at: Field,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    pub uid: String,
    pub text: String,
    pub entities: Vec<String>,
    pub priority: String,
    pub score: f32,
    /// The network, from the uid (`source:id`).
    pub source: String,
    pub lang: String,
    pub sentiment: String,
    pub categories: Vec<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// Search results with how the matching posts spread over each facet.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FacetedHits {
    /// How many posts match in all.
    pub total: u64,
    pub hits: Vec<Hit>,
    /// Facet name (`entity`, `category`, `sentiment`, `source`, `language`, `date`) →
    /// value → posts, over the first [`FACET_SCAN_LIMIT`] matches (see `facets_exact`).
    pub facets: std::collections::BTreeMap<&'static str, std::collections::BTreeMap<String, u64>>,
    /// False when more posts matched than the facets counted.
    pub facets_exact: bool,
}

/// Facets count at most this many matching posts: a query matching more answers as fast,
/// and says its facets are a sample (`facets_exact: false`).
pub const FACET_SCAN_LIMIT: usize = 20_000;

pub struct SearchIndex {
    index: Index,
    fields: Fields,
    reader: IndexReader,
    writer: Option<IndexWriter>,
}

impl SearchIndex {
    /// Opens (or creates) the index for reading and writing. Only one process may write.
    pub fn open_writer(dir: &Path) -> anyhow::Result<SearchIndex> {
        let mut index = SearchIndex::open(dir)?;
        let writer = index.index.writer_with_num_threads(WRITER_THREADS, WRITER_HEAP_BYTES).map_err(|e| {
            anyhow::anyhow!("cannot write the search index in {}: {e}; is another `hearken run` using this --data-dir?", dir.display())
        })?;
        index.writer = Some(writer);
        Ok(index)
    }

    /// Opens (or creates) the index for searching only.
    pub fn open(dir: &Path) -> anyhow::Result<SearchIndex> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let directory = MmapDirectory::open(dir)?;
        let index = Index::open_or_create(directory, schema)
            .map_err(|e| anyhow::anyhow!("the search index in {} cannot be opened: {e}", dir.display()))?;
        index.tokenizers().register(
            TOKENIZER,
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(60))
                .filter(LowerCaser)
                .filter(AsciiFoldingFilter)
                .build(),
        );
        let reader = index.reader_builder().reload_policy(ReloadPolicy::OnCommitWithDelay).try_into()?;
        Ok(SearchIndex { index, fields, reader, writer: None })
    }

    /// Adds (or replaces, by uid) the relevant posts of a batch and commits.
    pub fn write(&mut self, batch: &[&ScoredPost]) -> anyhow::Result<()> {
        let f = self.fields;
        let writer = self.writer.as_mut().ok_or_else(|| anyhow::anyhow!("search index opened read-only"))?;
        for scored in batch {
            let (post, a) = (&scored.post, &scored.assessment);
            let uid = post.uid();
            writer.delete_term(Term::from_field_text(f.uid, &uid));
            let created = post.created_at.map(|t| DateTime::from_timestamp_secs(t.unix_timestamp())).unwrap_or_else(|| {
                DateTime::from_timestamp_secs(time::OffsetDateTime::now_utc().unix_timestamp())
            });
            let mut doc = doc!(
                f.uid => uid,
                f.text => post.text.as_str(),
                f.lang => a.lang.as_str(),
                f.sentiment => a.sentiment.label.as_str(),
                f.priority => a.priority.level.as_str(),
                f.created_at => created,
            );
            for e in &a.entities {
                doc.add_text(f.entity, &e.id);
            }
            for c in &a.complaint.categories {
                doc.add_text(f.category, c.id.as_str());
            }
            writer.add_document(doc)?;
        }
        writer.commit()?;
        Ok(())
    }

    /// Searches post text; `entity:ID`, `category:ID`, `lang:id`, `sentiment:negative` and
    /// `priority:P1` narrow it down. Newest index state after the last commit.
    pub fn search(&self, query: &str, limit: usize) -> anyhow::Result<Vec<Hit>> {
        self.reader.reload()?;
        let parsed = self.parse(query)?;
        let searcher = self.reader.searcher();
        let top = searcher.search(&parsed, &TopDocs::with_limit(limit))?;
        top.into_iter().map(|(score, address)| self.hit(&searcher.doc(address)?, score)).collect()
    }

    /// [`Self::search`] with the total and the facets of the matching posts: entity,
    /// complaint category, sentiment, source, language and day (UTC).
    pub fn search_with_facets(&self, query: &str, limit: usize) -> anyhow::Result<FacetedHits> {
        self.reader.reload()?;
        let parsed = self.parse(query)?;
        let searcher = self.reader.searcher();
        let (top, total) = searcher.search(&parsed, &(TopDocs::with_limit(limit), tantivy::collector::Count))?;
        let hits = top.into_iter().map(|(score, address)| self.hit(&searcher.doc(address)?, score)).collect::<anyhow::Result<Vec<_>>>()?;
        let matching = searcher.search(&parsed, &TopDocs::with_limit(FACET_SCAN_LIMIT.max(1)))?;
        let mut facets: std::collections::BTreeMap<&'static str, std::collections::BTreeMap<String, u64>> =
            ["entity", "category", "sentiment", "source", "language", "date"].into_iter().map(|k| (k, Default::default())).collect();
        for (_, address) in &matching {
            let hit = self.hit(&searcher.doc(*address)?, 0.0)?;
            let mut count = |facet: &'static str, value: &str| {
                *facets.get_mut(facet).expect("facet names are fixed above").entry(value.to_string()).or_default() += 1;
            };
            let mut entities = hit.entities.clone();
            entities.sort();
            entities.dedup();
            entities.iter().for_each(|e| count("entity", e));
            hit.categories.iter().for_each(|c| count("category", c));
            count("sentiment", &hit.sentiment);
            count("source", &hit.source);
            count("language", &hit.lang);
            count("date", hit.created_at.get(..10).unwrap_or_default());
        }
        Ok(FacetedHits { total: total as u64, hits, facets, facets_exact: matching.len() as u64 == total as u64 })
    }

    fn parse(&self, query: &str) -> anyhow::Result<Box<dyn tantivy::query::Query>> {
        let mut parser = QueryParser::for_index(&self.index, vec![self.fields.text]);
        parser.set_conjunction_by_default();
        parser.parse_query(query).map_err(|e| {
            anyhow::anyhow!("cannot read the query \"{query}\": {e}; use words, \"quoted phrases\", and filters like entity:ID or category:billing")
        })
    }

    fn hit(&self, doc: &TantivyDocument, score: f32) -> anyhow::Result<Hit> {
        let f = self.fields;
        let text_of = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let all_of = |field: Field| doc.get_all(field).filter_map(|v| v.as_str().map(str::to_string)).collect::<Vec<_>>();
        let uid = text_of(f.uid);
        let created_at = doc
            .get_first(f.created_at)
            .and_then(|v| v.as_datetime())
            .and_then(|d| time::OffsetDateTime::from_unix_timestamp(d.into_timestamp_secs()).ok())
            .map(|t| t.format(&time::format_description::well_known::Rfc3339))
            .transpose()?
            .unwrap_or_default();
        Ok(Hit {
            source: uid.split_once(':').map(|(s, _)| s.to_string()).unwrap_or_default(),
            uid,
            text: text_of(f.text),
            entities: all_of(f.entity),
            priority: text_of(f.priority),
            score,
            lang: text_of(f.lang),
            sentiment: text_of(f.sentiment),
            categories: all_of(f.category),
            created_at,
        })
    }

    /// Erasure: deletes these posts (by uid) and rewrites the segments that held them, so
    /// their text leaves the index files and not only the search results. Returns how
    /// many documents were found. Needs the writer.
    pub fn erase(&mut self, uids: &[String]) -> anyhow::Result<u64> {
        let f = self.fields;
        self.reader.reload()?;
        let searcher = self.reader.searcher();
        let mut found = 0u64;
        for uid in uids {
            let query = tantivy::query::TermQuery::new(Term::from_field_text(f.uid, uid), IndexRecordOption::Basic);
            found += searcher.search(&query, &tantivy::collector::Count)? as u64;
        }
        let mut writer = self.writer.take().ok_or_else(|| anyhow::anyhow!("search index opened read-only"))?;
        for uid in uids {
            writer.delete_term(Term::from_field_text(f.uid, uid));
        }
        writer.commit()?;
        // A deleted document stays in its segment's files until a merge rewrites the
        // segment: merge every segment with deletes, once background merges are done.
        writer.wait_merging_threads()?;
        let mut writer: IndexWriter = self.index.writer(WRITER_HEAP_BYTES)?;
        let with_deletes: Vec<_> =
            self.index.searchable_segment_metas()?.iter().filter(|m| m.has_deletes()).map(|m| m.id()).collect();
        if !with_deletes.is_empty() {
            writer.merge(&with_deletes).wait()?;
        }
        writer.garbage_collect_files().wait()?;
        self.writer = Some(writer);
        self.reader.reload()?;
        Ok(found)
    }

    /// Documents marked deleted but still in the index files (0 after [`Self::erase`]).
    pub fn deleted_docs(&self) -> anyhow::Result<u64> {
        Ok(self.index.searchable_segment_metas()?.iter().map(|m| u64::from(m.num_deleted_docs())).sum())
    }

    pub fn num_docs(&self) -> anyhow::Result<u64> {
        self.reader.reload()?;
        Ok(self.reader.searcher().num_docs())
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text_options = TextOptions::default()
        .set_indexing_options(TextFieldIndexing::default().set_tokenizer(TOKENIZER).set_index_option(IndexRecordOption::WithFreqsAndPositions))
        .set_stored();
    let fields = Fields {
        uid: b.add_text_field("uid", STRING | STORED),
        text: b.add_text_field("text", text_options),
        entity: b.add_text_field("entity", STRING | STORED),
        category: b.add_text_field("category", STRING | STORED),
        lang: b.add_text_field("lang", STRING | STORED),
        sentiment: b.add_text_field("sentiment", STRING | STORED),
        priority: b.add_text_field("priority", STRING | STORED),
        created_at: b.add_date_field("created_at", INDEXED | STORED | FAST),
    };
    (b.build(), fields)
}
