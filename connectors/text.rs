//! Turning what networks send (HTML, RFC 3339 and Unix times) into the contract's plain
//! text and times.

use time::OffsetDateTime;

/// HTML (Mastodon statuses, feed entries) to plain text: tags dropped, entities decoded,
/// paragraphs and line breaks kept as newlines, no link footnotes or wrapping.
pub fn html_to_text(html: &str) -> String {
    if !html.contains('<') && !html.contains('&') {
        return html.trim().to_string();
    }
    let text = html2text::config::with_decorator(html2text::render::TrivialDecorator::new())
        .no_link_wrapping()
        .string_from_read(html.as_bytes(), 100_000)
        .unwrap_or_else(|_| html.to_string());
    // html2text pads lines to the width in some layouts; trailing spaces carry nothing.
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim().to_string()
}

pub fn parse_rfc3339(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// Facebook writes `2026-03-01T08:30:00+0000` (no colon in the offset), which RFC 3339
/// does not allow.
pub fn parse_graph_time(s: &str) -> Option<OffsetDateTime> {
    parse_rfc3339(s).or_else(|| {
        let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory][offset_minute]");
        OffsetDateTime::parse(s, &fmt).ok()
    })
}

pub fn from_unix(secs: f64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(secs as i64).ok()
}

/// Cuts text to at most `max` bytes on a character boundary (feed entries can be whole
/// articles; the contract caps posts at 64 KiB).
pub fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_plain_text() {
        let html = "<p>Antri 5 jam di <a href=\"https://x/tags/igd\" class=\"mention hashtag\">#<span>IGD</span></a> RS Omni &amp; dokter tidak datang</p><p>Kecewa<br>sekali</p>";
        let text = html_to_text(html);
        assert_eq!(text, "Antri 5 jam di #IGD RS Omni & dokter tidak datang\n\nKecewa\nsekali");
        assert_eq!(html_to_text("plain words"), "plain words");
    }

    #[test]
    fn graph_times_parse() {
        assert_eq!(parse_graph_time("2026-03-01T08:30:00+0000").unwrap().unix_timestamp(), 1772353800);
        assert!(parse_graph_time("2026-03-01T08:30:00Z").is_some());
    }
}
