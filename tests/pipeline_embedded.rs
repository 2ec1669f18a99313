//! End-to-end tests of the embedded pipeline on the team's sample corpus, through the
//! `hearken` binary exactly as a user runs it.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hearken::model::{Case, CaseStatus};
use hearken::sinks::{CaseStore, DataDir, SearchIndex};

const SAMPLE: &str = "tests/data/sample_posts.jsonl";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn hearken() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hearken"));
    cmd.current_dir(root());
    cmd
}

fn replay(file: &Path, data_dir: &Path) -> String {
    let out = hearken().arg("replay").arg(file).arg("--data-dir").arg(data_dir).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "replay failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

fn sample_uids() -> Vec<String> {
    std::fs::read_to_string(root().join(SAMPLE))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| hearken::model::Post::from_json_line(l).unwrap().uid())
        .collect()
}

fn all_cases(store: &CaseStore) -> Vec<Case> {
    store.cases(None, 1_000_000).unwrap()
}

/// Words to find a post by: its three longest plain words, quoted.
fn query_for(text: &str) -> String {
    let mut words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_alphabetic()))
        .collect();
    words.sort_by_key(|w| std::cmp::Reverse(w.len()));
    words.truncate(3);
    words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" ")
}

#[test]
fn sample_replay_indexes_relevant_posts_opens_cases_for_complaints_and_is_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    replay(&root().join(SAMPLE), &data);

    let dir = DataDir::new(&data);
    let store = CaseStore::open(&dir.case_store()).unwrap();
    let index = SearchIndex::open(&dir.search_index()).unwrap();
    let uids = sample_uids();
    assert!(uids.len() >= 500, "the sample corpus has {} posts", uids.len());
    let counts = store.counts().unwrap();
    assert_eq!(counts.posts as usize, uids.iter().collect::<HashSet<_>>().len());

    let cases = all_cases(&store);
    let in_case: HashMap<&str, &str> =
        cases.iter().flat_map(|c| c.post_uids.iter().map(move |u| (u.as_str(), c.id.as_str()))).collect();
    let (mut relevant, mut complaints) = (0, 0);
    for uid in &uids {
        let stored = store.post(uid).unwrap().expect("every post is stored");
        let a = &stored.assessment;
        if a.relevant {
            relevant += 1;
            let q = query_for(&stored.post.text);
            let hits = index.search(&q, 1000).unwrap();
            assert!(hits.iter().any(|h| &h.uid == uid), "relevant post {uid} not found by search {q}");
        }
        if a.relevant && a.complaint.is_complaint {
            complaints += 1;
            assert!(in_case.contains_key(uid.as_str()), "complaint {uid} is in no case: {}", stored.post.text);
        }
    }
    assert!(relevant > 100 && complaints > 50, "relevant {relevant}, complaints {complaints}");

    // Noise opens no case: every case's first post is a relevant, non-noise complaint.
    for case in &cases {
        let first = store.post(&case.post_uids[0]).unwrap().unwrap();
        assert!(first.assessment.relevant && first.assessment.noise.is_none(), "case {} opened by noise", case.id);
        assert!(first.assessment.complaint.is_complaint, "case {} opened by a non-complaint", case.id);
        assert_eq!(case.status, CaseStatus::Open);
    }
    // A post belongs to one case at most.
    let total_memberships: usize = cases.iter().map(|c| c.post_uids.len()).sum();
    assert_eq!(total_memberships, in_case.len());

    // Replaying the same corpus again adds no post, no case, no document.
    let docs = index.num_docs().unwrap();
    let again = replay(&root().join(SAMPLE), &data);
    assert!(again.contains("(0 new)"), "{again}");
    assert_eq!(store.counts().unwrap(), counts);
    assert_eq!(all_cases(&store), cases);
    assert_eq!(SearchIndex::open(&dir.search_index()).unwrap().num_docs().unwrap(), docs);
}

/// The sample corpus repeated under new ids: a stream long enough to kill mid-way.
fn long_corpus(path: &Path, copies: usize) -> usize {
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(root().join(SAMPLE))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut n = 0;
    for copy in 0..copies {
        for line in &lines {
            let mut post = line.clone();
            let id = format!("{}-{copy}", post["id"].as_str().unwrap());
            post["id"] = serde_json::Value::String(id);
            if let Some(parent) = post.get("reply_to").and_then(|r| r.as_str()).map(str::to_string) {
                post["reply_to"] = serde_json::Value::String(format!("{parent}-{copy}"));
            }
            writeln!(out, "{post}").unwrap();
            n += 1;
        }
    }
    // One bad line in the middle: it must become one dead letter, not stop the run.
    writeln!(out, "{{\"id\": \"broken\"").unwrap();
    n
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn write_config(dir: &Path, corpus: &Path) -> PathBuf {
    let path = dir.join("hearken.toml");
    std::fs::write(
        &path,
        format!(
            "data_dir = {:?}\n[core]\nentities = {:?}\n[api]\nlisten = \"127.0.0.1:{}\"\n[[sources]]\nkind = \"replay\"\npath = {:?}\n",
            dir.join("data"),
            root().join("lexicons/entities.toml"),
            free_port(),
            corpus
        ),
    )
    .unwrap();
    path
}

fn stored_posts(dir: &DataDir) -> u64 {
    if !dir.case_store().exists() {
        return 0;
    }
    CaseStore::open(&dir.case_store()).and_then(|s| s.counts()).map(|c| c.posts).unwrap_or(0)
}

fn start_run(config: &Path) -> Child {
    hearken().arg("run").arg("--config").arg(config).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap()
}

/// Polls `done` until it holds, failing early (with its stderr) if `child` exits.
fn wait_until(child: &mut Child, what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            panic!("hearken run exited ({status}) before {what}:\n{err}");
        }
        assert!(start.elapsed() < timeout, "timed out after {timeout:?} waiting until {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn killing_run_mid_replay_and_restarting_loses_nothing_and_doubles_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("long.jsonl");
    let total = long_corpus(&corpus, 20) as u64;
    let config = write_config(tmp.path(), &corpus);
    let dir = DataDir::new(&tmp.path().join("data"));

    let mut first = start_run(&config);
    wait_until(&mut first, "some posts are stored", Duration::from_secs(120), || stored_posts(&dir) >= 500);
    first.kill().unwrap(); // SIGKILL: no chance to flush anything
    first.wait().unwrap();
    let at_kill = stored_posts(&dir);
    assert!(at_kill < total, "the run finished before it was killed ({at_kill} of {total}); make the corpus longer");

    let mut second = start_run(&config);
    wait_until(&mut second, "every post is stored", Duration::from_secs(300), || stored_posts(&dir) == total);
    // SIGTERM: a graceful stop drains and exits cleanly.
    assert!(Command::new("kill").arg("-TERM").arg(second.id().to_string()).status().unwrap().success());
    let out = second.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // The same stream replayed in one go, for comparison.
    let clean = tmp.path().join("clean");
    replay(&corpus, &clean);
    let store = CaseStore::open(&dir.case_store()).unwrap();
    let reference = CaseStore::open(&DataDir::new(&clean).case_store()).unwrap();
    assert_eq!(store.counts().unwrap(), reference.counts().unwrap());
    let ids = |s: &CaseStore| all_cases(s).into_iter().map(|c| (c.id, c.post_uids)).collect::<HashMap<_, _>>();
    assert_eq!(ids(&store), ids(&reference), "the interrupted run built other cases than a clean one");
    let dead = std::fs::read_to_string(dir.dead_letters()).unwrap();
    assert_eq!(dead.lines().count(), 1, "one bad line, one dead letter: {dead}");
}

#[test]
fn score_reports_bad_lines_and_keeps_going() {
    let mut child = hearken()
        .arg("score")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"id\":\"1\",\"text\":\"Waited 5 hours at the ER, nobody came\"}\nnot json\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stdout.lines().count(), 1);
    let a: hearken::model::Assessment = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(a.id, "1");
    assert!(a.complaint.is_complaint && a.sentiment.compound < 0.0, "{stdout}");
    assert!(stderr.contains("line 2: not valid JSON"), "{stderr}");
    assert_eq!(out.status.code(), Some(3), "exit 3 = some lines rejected");
}

/// A store written before the unused `posts.simhash` column was dropped opens, keeps its
/// posts and takes new ones (the column is dropped on open).
#[test]
fn store_with_the_old_simhash_column_opens_and_keeps_its_posts() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let first: Vec<String> = std::fs::read_to_string(root().join(SAMPLE)).unwrap().lines().take(10).map(String::from).collect();
    let part = tmp.path().join("first.jsonl");
    std::fs::write(&part, first.join("\n") + "\n").unwrap();
    replay(&part, &data);
    let db = DataDir::new(&data).case_store();
    {
        // Put the posts table back in its old shape: a NOT NULL simhash column without a
        // default, which an insert that leaves it out would violate.
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "CREATE TABLE old_posts (uid TEXT PRIMARY KEY, created_at INTEGER NOT NULL, author TEXT, lang TEXT NOT NULL,
                 relevant INTEGER NOT NULL, noise TEXT, is_complaint INTEGER NOT NULL, priority TEXT NOT NULL,
                 simhash INTEGER NOT NULL, reach INTEGER NOT NULL, case_id TEXT, post TEXT NOT NULL, assessment TEXT NOT NULL);
             INSERT INTO old_posts SELECT uid, created_at, author, lang, relevant, noise, is_complaint, priority, 7, reach,
                 case_id, post, assessment FROM posts;
             DROP TABLE posts;
             ALTER TABLE old_posts RENAME TO posts;",
        )
        .unwrap();
        let before: i64 = conn.query_row("SELECT count(*) FROM posts", [], |r| r.get(0)).unwrap();
        assert_eq!(before, 10);
    }
    replay(&root().join(SAMPLE), &data);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let has_simhash: bool = conn.prepare("SELECT 1 FROM pragma_table_info('posts') WHERE name = 'simhash'").unwrap().exists([]).unwrap();
    assert!(!has_simhash, "the old column is dropped on open");
    assert_eq!(stored_posts(&DataDir::new(&data)), sample_uids().len() as u64);
}

#[test]
fn an_officer_action_waits_for_another_writer_instead_of_failing() {
    let tmp = tempfile::tempdir().unwrap();
    replay(&root().join(SAMPLE), tmp.path());
    let path = DataDir::new(tmp.path()).case_store();
    let mut store = CaseStore::open(&path).unwrap();
    let case = all_cases(&store).into_iter().next().expect("the sample opens cases");

    // Another process (the sinks role, say) holds the write lock and commits a change
    // while the officer's note is being written. The note reads the case first: in a
    // deferred transaction its snapshot is then stale, and SQLite refuses the write at
    // once ("database is locked") instead of waiting for the lock.
    let (locked, is_locked) = std::sync::mpsc::channel();
    let other = {
        let path = path.clone();
        std::thread::spawn(move || {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch("BEGIN IMMEDIATE; INSERT INTO dead_letters (stream, offset) VALUES ('lock-probe', 1);").unwrap();
            locked.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(300));
            conn.execute_batch("COMMIT").unwrap();
        })
    };
    is_locked.recv().unwrap();
    let noted = store.add_note(&case.id, "siti", "called the patient back");
    other.join().unwrap();
    let noted = noted.expect("the note waits for the other writer, then is stored");
    assert_eq!(noted.version, case.version + 1);
}
