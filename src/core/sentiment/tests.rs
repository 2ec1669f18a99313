use super::*;

fn en(s: &str) -> f32 {
    SentimentAnalyzer::new().unwrap().score(&Text::new(s), Lang::En).compound
}

#[test]
fn basic() {
    assert!(en("The book was good.") > 0.0);
}
