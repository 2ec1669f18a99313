//! `hearken train` through the binary as a user runs it: a phrase the built-in model does
//! not know is learned from a few labelled posts and used by `hearken score` through
//! `complaint_model`; malformed example lines are errors naming file:line; officers'
//! verdicts on cases become examples with `--from-cases`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use hearken::config::Config;
use hearken::connectors::Position;
use hearken::core::{EntitiesFile, Scorer};
use hearken::model::{CaseStatus, Post};
use hearken::sinks::{CaseStore, DataDir, ScoredPost};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn hearken(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hearken")).current_dir(root()).args(args).output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// `hearken score` on one post: is it a complaint?
fn is_complaint(post: &str, config: &Path) -> bool {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hearken"))
        .current_dir(root())
        .args(["score", "--quiet", "--config"])
        .arg(config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let line = serde_json::json!({"id": "1", "text": post}).to_string();
    child.stdin.take().unwrap().write_all(format!("{line}\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "score failed: {}", text(&out));
    let assessment: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assessment["complaint"]["is_complaint"].as_bool().unwrap()
}

/// A hospital's own way of complaining: the lift of its tower block keeps breaking down.
const PHRASE: &str = "lift gedung C mogok";

fn labelled() -> String {
    let complaints = [
        "{P} lagi, ibu saya harus naik tangga ke lantai 5",
        "sudah seminggu {P}, pasien kursi roda gimana?",
        "tiap kali kontrol {P}, capek deh",
        "{P} terus, kapan diperbaiki?",
        "pagi ini {P} lagi, kami tertahan di lobi",
        "bapak saya pakai kruk dan {P}",
        "{P}, antre tangga darurat",
        "lagi-lagi {P} pas jam besuk",
        "{P} dari kemarin, ngos-ngosan naik ke poli",
        "hari ini {P} lagi ya min",
        "mohon info kenapa {P} setiap minggu",
        "{P} bikin pasien lansia kesulitan",
    ];
    let others = [
        "terima kasih dokter dan perawat di gedung C, ramah sekali",
        "poli anak di lantai 3 sekarang buka hari Sabtu",
        "jadwal dokter gigi minggu depan sudah keluar",
        "lift gedung A baru, bagus dan cepat",
        "parkir motor sekarang di basement gedung C",
        "alhamdulillah operasi ayah lancar, terima kasih tim bedah",
        "info vaksin influenza untuk lansia di gedung C lantai 1",
        "kantin gedung B enak dan murah",
        "pelayanan IGD cepat, terima kasih",
        "pendaftaran online lewat aplikasi mudah sekali",
        "gedung C lantai 2 untuk poli mata ya",
        "suster di ruang melati sabar banget, terima kasih",
    ];
    let mut out = String::new();
    for (c, o) in complaints.iter().zip(others) {
        out.push_str(&serde_json::json!({"text": c.replace("{P}", PHRASE), "complaint": true}).to_string());
        out.push_str("\n\n");
        out.push_str(&serde_json::json!({"text": o, "complaint": false}).to_string());
        out.push('\n');
    }
    out
}

#[test]
fn a_phrase_learned_from_labelled_posts_flips_a_held_out_post_and_praise_stays_praise() {
    let tmp = tempfile::tempdir().unwrap();
    let examples = tmp.path().join("labelled.jsonl");
    std::fs::write(&examples, labelled()).unwrap();
    let model = tmp.path().join("model.txt");
    let out = hearken(&["train", "--examples", examples.to_str().unwrap(), "--out", model.to_str().unwrap()]);
    let report = text(&out);
    assert!(out.status.success(), "train failed: {report}");
    eprintln!("{report}");
    assert!(report.contains("24 examples (12 complaints, 12 not)"), "{report}");
    assert!(report.contains("5-fold cross-validation") && report.contains("built-in") && report.contains("adapted"), "{report}");
    let written = std::fs::read_to_string(&model).unwrap();
    assert!(written.starts_with("# hearken complaint model adapted by `hearken train`"), "{written}");
    assert!(written.contains("24 examples (12 complaints, 12 not)"), "the header says what it was fitted on: {written}");

    let builtin = tmp.path().join("builtin.toml");
    std::fs::write(&builtin, "").unwrap();
    let adapted = tmp.path().join("adapted.toml");
    std::fs::write(&adapted, format!("[core]\ncomplaint_model = {:?}\n", model.to_str().unwrap())).unwrap();

    let held_out = format!("Nenek saya ke RSUD Sukamaju, {PHRASE} lagi");
    assert!(!is_complaint(&held_out, &builtin), "the built-in model should not know the phrase");
    assert!(is_complaint(&held_out, &adapted), "the adapted model should flag the phrase");
    let praise = "Terima kasih RSUD Sukamaju, perawatnya ramah dan sabar sekali";
    assert!(!is_complaint(praise, &adapted), "praise stays praise");

    let check = hearken(&["check-config", "--config", adapted.to_str().unwrap()]);
    assert!(!text(&check).contains("complaint_model"), "a good model passes check-config: {}", text(&check));
}

#[test]
fn a_missing_or_malformed_model_is_named_at_startup_and_by_check_config() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad_model.txt");
    std::fs::write(&bad, "threshold 0.5\nbias one\n").unwrap();
    for model in [bad, tmp.path().join("missing.txt")] {
        let config = tmp.path().join("config.toml");
        std::fs::write(&config, format!("[core]\ncomplaint_model = {:?}\n", model.to_str().unwrap())).unwrap();
        let out = hearken(&["score", "--config", config.to_str().unwrap()]);
        assert!(!out.status.success());
        assert!(text(&out).contains(model.to_str().unwrap()), "the error names the model file: {}", text(&out));
        let check = hearken(&["check-config", "--config", config.to_str().unwrap()]);
        assert!(!check.status.success());
        assert!(text(&check).contains("core.complaint_model"), "{}", text(&check));
    }
}

#[test]
fn malformed_example_lines_are_errors_naming_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let good = r#"{"text": "still waiting for my results", "complaint": true}"#;
    for (bad, why) in [
        (r#"{"text": "fine", "complaint": "yes"}"#, "true or false"),
        (r#"{"complaint": false}"#, "\"text\""),
        (r#"{"text": "unterminated"#, "not JSON"),
    ] {
        let file = tmp.path().join("bad.jsonl");
        std::fs::write(&file, format!("{good}\n\n{bad}\n")).unwrap();
        let out = hearken(&["train", "--examples", file.to_str().unwrap(), "--out", tmp.path().join("m.txt").to_str().unwrap()]);
        assert!(!out.status.success());
        let msg = text(&out);
        assert!(msg.contains(&format!("{}:3", file.display())) && msg.contains(why), "{msg}");
    }
    // No examples at all, or only one class: say what is missing.
    let out = hearken(&["train", "--out", tmp.path().join("m.txt").to_str().unwrap()]);
    assert!(!out.status.success() && text(&out).contains("--examples"), "{}", text(&out));
    let only = tmp.path().join("only.jsonl");
    std::fs::write(&only, format!("{good}\n")).unwrap();
    let out = hearken(&["train", "--examples", only.to_str().unwrap(), "--out", tmp.path().join("m.txt").to_str().unwrap()]);
    assert!(!out.status.success() && text(&out).contains("no non-complaints"), "{}", text(&out));
}

#[test]
fn officers_verdicts_on_cases_are_examples_with_from_cases() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let config = Config::load_or_default(Some(&root().join("config/default.toml"))).unwrap();
    let entities = EntitiesFile::load(&root().join(&config.core.entities)).unwrap();
    let mut scorer = Scorer::new(&config.core, &entities).unwrap();
    let posts = [
        "Waited 6 hours at RSUD Sukamaju IGD and nobody came to see my father, disgraceful",
        "Larkspur Medical Centre billed me twice for the same scan and still no refund after 3 months",
        "Zenith International Hospital Serpong lost my mother's test results, nobody answers the phone",
        "Dr. Rendra Halim was rude and dismissive, he did not even examine my son",
    ];
    let mut store = CaseStore::open(&DataDir::new(&data).case_store()).unwrap();
    for (i, text) in posts.iter().enumerate() {
        let line = serde_json::json!({"id": format!("p{i}"), "text": text, "source": "replay", "created_at": "2026-03-02T08:00:00+07:00"});
        let post = Post::from_json_line(&line.to_string()).unwrap();
        let scored = ScoredPost { assessment: scorer.score(&post), post };
        store.commit_batch(&[&scored], &[], &[Position::at("t", i as u64 + 1)]).unwrap();
    }
    let cases = store.cases(None, 10).unwrap();
    assert_eq!(cases.len(), 4, "each complaint opens its own case: {cases:?}");
    let case_of = |i: usize| cases.iter().find(|c| c.post_uids.contains(&format!("replay:p{i}"))).unwrap().id.clone();
    store.set_status(&case_of(0), CaseStatus::Dismissed, "siti", Some("not about us"), None).unwrap();
    // Merging resolves the case merged away: not a verdict, and its post is now the other
    // case's, judged with it.
    store.merge(&case_of(3), &case_of(1), "siti", None).unwrap();
    store.set_status(&case_of(1), CaseStatus::Resolved, "siti", None, None).unwrap();
    // The third stays open: no verdict, no example.
    drop(store);

    let model = tmp.path().join("model.txt");
    let out = hearken(&["train", "--from-cases", "--data-dir", data.to_str().unwrap(), "--out", model.to_str().unwrap()]);
    let report = text(&out);
    assert!(out.status.success(), "train failed: {report}");
    eprintln!("{report}");
    assert!(
        report.contains("3 examples (2 complaints, 1 not) from 1 acknowledged, assigned or resolved and 1 dismissed cases"),
        "{report}"
    );
    assert!(std::fs::read_to_string(&model).unwrap().contains("1 dismissed cases"));

    let out = hearken(&["train", "--from-cases", "--data-dir", tmp.path().join("nowhere").to_str().unwrap(), "--out", model.to_str().unwrap()]);
    assert!(!out.status.success() && text(&out).contains("no case store"), "{}", text(&out));
}
