//! Scoring a stream of JSON lines on every core, with the output in input order.
//!
//! Three kinds of thread share the work:
//! - a reader cuts the input into chunks of whole lines (`chunk_bytes` each, about);
//! - workers parse each chunk's posts and run every stage that depends on the post alone
//!   ([`Scorer::assess`]), chunk by chunk, as many chunks at once as there are workers;
//! - the calling thread takes the chunks back in input order and, post by post, runs the
//!   one stateful stage (the duplicate check, [`Scorer::finish`]), writes the assessments
//!   and reports the rejected lines.
//!
//! Because the duplicate check sees the posts in input order on one thread, the output is
//! byte for byte the output of scoring the lines one after another (a test proves it).
//! Memory stays bounded: the channels between the threads hold a few chunks each.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use crossbeam_channel::{bounded, Receiver, Sender};

use crate::core::{Draft, Scorer};
use crate::model::{Assessment, Post};

/// How the work is cut up.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Threads that parse and score (the reader and the writer come on top).
    pub workers: usize,
    /// Bytes of input per chunk; a chunk holds whole lines, so a longer line makes a
    /// longer chunk.
    pub chunk_bytes: usize,
}

impl Default for Options {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Options { workers: cores, chunk_bytes: 64 * 1024 }
    }
}

/// A line that is not a valid post.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// 1-based line number in the input.
    pub line: u64,
    pub reason: String,
    /// The line as read (lossily decoded when it was not UTF-8), without its line break.
    pub raw: String,
}

/// Counts of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub scored: u64,
    pub relevant: u64,
    /// Relevant posts that are complaints.
    pub complaints: u64,
    pub rejected: u64,
}

/// Scores every line of `input` and writes one assessment per post to `output`, in input
/// order; each rejected line goes to `on_reject`, in input order too. Blank lines are
/// skipped. Stops at the first read or write error, or the first error of `on_reject`.
pub fn score_lines(
    scorer: &Scorer,
    input: impl Read + Send + 'static,
    output: &mut impl Write,
    options: Options,
    mut on_reject: impl FnMut(&Rejected) -> anyhow::Result<()>,
) -> anyhow::Result<Summary> {
    let workers = options.workers.max(1);
    let (chunk_tx, chunk_rx) = bounded::<Chunk>(workers * 2);
    let (drafted_tx, drafted_rx) = bounded::<Drafted>(workers * 2);
    // The reader is not joined: it may sit in a read on a terminal when the output fails,
    // and it ends by itself at the end of input or when the workers are gone.
    std::thread::Builder::new().name("score-reader".into()).spawn(move || read_chunks(input, options.chunk_bytes, chunk_tx))?;
    std::thread::scope(|scope| {
        for i in 0..workers {
            let (chunks, drafted) = (chunk_rx.clone(), drafted_tx.clone());
            std::thread::Builder::new().name(format!("score-worker-{i}")).spawn_scoped(scope, move || assess_chunks(scorer, chunks, drafted))?;
        }
        drop((chunk_rx, drafted_tx));
        // Returning drops the receiver, so the workers stop at their next send if this
        // failed half way.
        write_in_order(scorer, drafted_rx, output, &mut on_reject)
    })
}

/// A piece of the input that ends at a line break (or at the end of input).
struct Chunk {
    seq: u64,
    bytes: std::io::Result<Vec<u8>>,
}

/// What a worker made of one chunk.
struct Drafted {
    seq: u64,
    /// Lines in the chunk, blank ones included, for line numbers.
    lines: u64,
    items: std::io::Result<Vec<Item>>,
}

enum Item {
    Post(Box<Post>, Draft),
    /// Index of the line in its chunk, the reason, the line.
    Rejected(u64, String, String),
}

fn read_chunks(mut input: impl Read, chunk_bytes: usize, to: Sender<Chunk>) {
    let mut carry = Vec::new();
    let mut seq = 0;
    loop {
        let mut buf = std::mem::take(&mut carry);
        buf.reserve(chunk_bytes);
        match (&mut input).take(chunk_bytes.max(1) as u64).read_to_end(&mut buf) {
            Ok(0) => {
                // End of input: what is left is a last line without a line break.
                if !buf.is_empty() {
                    let _ = to.send(Chunk { seq, bytes: Ok(buf) });
                }
                return;
            }
            Ok(_) => match buf.iter().rposition(|&b| b == b'\n') {
                Some(end) => {
                    carry = buf[end + 1..].to_vec();
                    buf.truncate(end + 1);
                    if to.send(Chunk { seq, bytes: Ok(buf) }).is_err() {
                        return;
                    }
                    seq += 1;
                }
                // One line longer than a chunk: read on until it ends.
                None => carry = buf,
            },
            Err(e) => {
                let _ = to.send(Chunk { seq, bytes: Err(e) });
                return;
            }
        }
    }
}

fn assess_chunks(scorer: &Scorer, chunks: Receiver<Chunk>, to: Sender<Drafted>) {
    for Chunk { seq, bytes } in chunks {
        let (lines, items) = match bytes {
            Ok(bytes) => {
                let (lines, items) = assess_chunk(scorer, &bytes);
                (lines, Ok(items))
            }
            Err(e) => (0, Err(e)),
        };
        if to.send(Drafted { seq, lines, items }).is_err() {
            return;
        }
    }
}

fn assess_chunk(scorer: &Scorer, bytes: &[u8]) -> (u64, Vec<Item>) {
    let mut items = Vec::new();
    let mut lines = 0u64;
    for raw in bytes.split_inclusive(|&b| b == b'\n') {
        let index = lines;
        lines += 1;
        let line = String::from_utf8_lossy(raw);
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        match Post::from_json_line(line) {
            Ok(post) => {
                let draft = scorer.assess(&post);
                items.push(Item::Post(Box::new(post), draft));
            }
            Err(e) => items.push(Item::Rejected(index, e.to_string(), line.to_string())),
        }
    }
    (lines, items)
}

fn write_in_order(
    scorer: &Scorer,
    drafted: Receiver<Drafted>,
    output: &mut impl Write,
    on_reject: &mut impl FnMut(&Rejected) -> anyhow::Result<()>,
) -> anyhow::Result<Summary> {
    let mut summary = Summary::default();
    let mut waiting: BTreeMap<u64, Drafted> = BTreeMap::new();
    let (mut next, mut lines_before) = (0u64, 0u64);
    let mut out = Vec::with_capacity(1 << 18);
    for d in drafted {
        waiting.insert(d.seq, d);
        while let Some(d) = waiting.remove(&next) {
            next += 1;
            out.clear();
            for item in d.items? {
                match item {
                    Item::Post(post, draft) => {
                        let a: Assessment = scorer.finish(&post, draft);
                        summary.scored += 1;
                        summary.relevant += a.relevant as u64;
                        summary.complaints += (a.relevant && a.complaint.is_complaint) as u64;
                        serde_json::to_writer(&mut out, &a)?;
                        out.push(b'\n');
                    }
                    Item::Rejected(index, reason, raw) => {
                        summary.rejected += 1;
                        // Assessments of earlier lines go out first.
                        output.write_all(&out)?;
                        out.clear();
                        on_reject(&Rejected { line: lines_before + index + 1, reason, raw })?;
                    }
                }
            }
            output.write_all(&out)?;
            lines_before += d.lines;
        }
    }
    // A worker that panicked takes its chunk with it: say so rather than lose lines.
    anyhow::ensure!(waiting.is_empty(), "internal error: input chunk {next} was lost; no assessment after it was written");
    output.flush()?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::core::EntitiesFile;

    fn scorer() -> Scorer {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let entities = EntitiesFile::load(&root.join("lexicons/entities.toml")).unwrap();
        Scorer::new(&Config::parse("").unwrap().core, &entities).unwrap()
    }

    /// Posts that name the sample hospitals, with reshares and near-duplicates of earlier
    /// posts spread far apart (across chunks), exact repeats of one uid, bad lines, blank
    /// lines, a line that is not UTF-8 and a last line without a line break.
    fn corpus() -> Vec<u8> {
        let texts = [
            "Waited five hours at RS Zenith emergency and nobody came to see my father",
            "The nurses at Larkspur Medical Centre were kind and explained everything to my mother",
            "Kecewa bgt sama RS Zenith, sdh 3 jam antri di IGD gak dipanggil2, dokter Sari jg gak dtg",
            "dr. Grace at RS Zenith was rude and refused to show us the lab results, we will call a lawyer",
            "Promo MCU diskon 30% di RS Zenith! Hubungi 081234567890",
            "The parking at Zenith Hospital is a nightmare and the food was cold again today",
            "great care at RS Zenith",
        ];
        let mut out = Vec::new();
        for i in 0..600 {
            let text = texts[i % texts.len()];
            let line = match i % 11 {
                // A reshare of the same text under a new id: a duplicate.
                0 => serde_json::json!({"id": format!("rt-{i}"), "text": format!("RT {text} https://t.co/x{i}")}),
                // The same post again under its own id: not a duplicate of itself.
                1 => serde_json::json!({"id": format!("p-{}", i % texts.len()), "text": text}),
                _ => serde_json::json!({"id": format!("p-{i}"), "text": format!("{text} ({i})"), "author": {"followers": i * 37}}),
            };
            out.extend_from_slice(line.to_string().as_bytes());
            out.extend_from_slice(if i % 5 == 0 { b"\r\n" } else { b"\n" });
            match i % 97 {
                3 => out.extend_from_slice(b"not json\n"),
                4 => out.extend_from_slice(b"\n   \n"),
                5 => out.extend_from_slice(b"{\"id\":\"x\",\"text\":\"caf\xe9 RS Zenith\"}\n"),
                6 => out.extend_from_slice(b"{\"id\":\"\",\"text\":\"empty id\"}\n"),
                _ => {}
            }
        }
        out.extend_from_slice(br#"{"id":"last","text":"RS Zenith, no line break at the end"}"#);
        out
    }

    /// The reference: one line after another, as `hearken score` did before it ran on
    /// several threads.
    fn sequential(input: &[u8]) -> (Vec<u8>, Vec<Rejected>) {
        let mut scorer = scorer();
        let (mut out, mut rejected) = (Vec::new(), Vec::new());
        for (i, raw) in input.split_inclusive(|&b| b == b'\n').enumerate() {
            let line = String::from_utf8_lossy(raw);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.trim().is_empty() {
                continue;
            }
            match Post::from_json_line(line) {
                Ok(post) => {
                    serde_json::to_writer(&mut out, &scorer.score(&post)).unwrap();
                    out.push(b'\n');
                }
                Err(e) => rejected.push(Rejected { line: i as u64 + 1, reason: e.to_string(), raw: line.to_string() }),
            }
        }
        (out, rejected)
    }

    fn parallel(input: &[u8], options: Options) -> (Vec<u8>, Vec<Rejected>, Summary) {
        let scorer = scorer();
        let (mut out, mut rejected) = (Vec::new(), Vec::new());
        let summary = score_lines(&scorer, std::io::Cursor::new(input.to_vec()), &mut out, options, |r| {
            rejected.push(r.clone());
            Ok(())
        })
        .unwrap();
        (out, rejected, summary)
    }

    #[test]
    fn parallel_output_is_the_sequential_output() {
        let input = corpus();
        let (expected, expected_rejected) = sequential(&input);
        let duplicates = String::from_utf8_lossy(&expected).matches("\"noise\":\"duplicate\"").count();
        assert!(duplicates > 20, "the corpus must exercise the duplicate check ({duplicates} duplicates)");
        assert!(expected_rejected.len() >= 10);
        // Tiny chunks (many chunks in flight, out of order), a line longer than a chunk,
        // one worker and many.
        for (workers, chunk_bytes) in [(1, 1 << 16), (2, 1 << 16), (4, 300), (3, 50), (8, 1)] {
            let (out, rejected, summary) = parallel(&input, Options { workers, chunk_bytes });
            assert!(out == expected, "output differs with {workers} workers and {chunk_bytes}-byte chunks");
            assert_eq!(rejected, expected_rejected, "rejected lines differ with {workers} workers");
            assert_eq!(summary.rejected as usize, expected_rejected.len());
            assert_eq!(summary.scored as usize, expected.iter().filter(|&&b| b == b'\n').count());
        }
    }

    #[test]
    fn empty_input_and_read_errors() {
        let (out, rejected, summary) = parallel(b"", Options::default());
        assert!(out.is_empty() && rejected.is_empty());
        assert_eq!(summary, Summary::default());

        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0 == 0 {
                    return Err(std::io::Error::other("disk on fire"));
                }
                let line = b"{\"id\":\"1\",\"text\":\"RS Zenith was fine\"}\n";
                let n = line.len().min(buf.len());
                buf[..n].copy_from_slice(&line[..n]);
                self.0 -= 1;
                Ok(n)
            }
        }
        let mut out = Vec::new();
        let err = score_lines(&scorer(), Failing(3), &mut out, Options { workers: 2, chunk_bytes: 16 }, |_| Ok(())).unwrap_err();
        assert!(err.to_string().contains("disk on fire"), "{err}");
    }

    #[test]
    fn a_failing_output_stops_the_run() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let err = score_lines(&scorer(), std::io::Cursor::new(corpus()), &mut Closed, Options { workers: 2, chunk_bytes: 100 }, |_| Ok(()))
            .unwrap_err();
        assert!(err.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)));
    }
}
