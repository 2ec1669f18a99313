//! Language detection restricted to the configured languages.
//!
//! Most posts give themselves away through function words ("yang", "tidak", "the",
//! "and"), so a cheap count over the folded words decides them; only posts where that
//! count is inconclusive pay for whatlang's trigram detection. Malay is not in whatlang:
//! it reads as Indonesian, and Malay-only words then tell the two apart.

use whatlang::Lang as W;

use super::normalize::Text;
use rustc_hash::FxHashMap;

/// Bits of [`LanguageDetector::function_words`]: which lists a word is on.
const EN: u8 = 1;
const ID: u8 = 2;
const MS: u8 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Id,
    Ms,
    /// Undetermined, or a language that is not configured.
    Und,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Id => "id",
            Lang::Ms => "ms",
            Lang::Und => "und",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "id" => Some(Lang::Id),
            "ms" => Some(Lang::Ms),
            _ => None,
        }
    }

    /// Indonesian and Malay share their lexicons.
    pub fn is_malay_family(self) -> bool {
        matches!(self, Lang::Id | Lang::Ms)
    }
}

pub struct LanguageDetector {
    languages: Vec<Lang>,
    detector: whatlang::Detector,
    /// The function-word lists below as one table (word → EN | ID | MS bits): every word
    /// of every post is looked up, so one hash probe instead of three list scans.
    function_words: FxHashMap<&'static str, u8>,
}

impl LanguageDetector {
    pub fn new(languages: &[Lang]) -> LanguageDetector {
        let mut allow = Vec::new();
        if languages.contains(&Lang::En) {
            allow.push(W::Eng);
        }
        if languages.iter().any(|l| l.is_malay_family()) {
            allow.push(W::Ind);
        }
        let mut function_words = FxHashMap::default();
        for (list, bit) in [(ENGLISH, EN), (INDONESIAN, ID), (MALAY, MS)] {
            for &w in list {
                *function_words.entry(w).or_insert(0) |= bit;
            }
        }
        LanguageDetector { languages: languages.to_vec(), detector: whatlang::Detector::with_allowlist(allow), function_words }
    }

    pub fn detect(&self, text: &Text, original: &str) -> Lang {
        let (mut en, mut id, mut ms) = (0u32, 0u32, 0u32);
        for w in text.words() {
            let bits = self.function_words.get(w).copied().unwrap_or(0);
            en += u32::from(bits & EN != 0);
            id += u32::from(bits & ID != 0);
            ms += u32::from(bits & MS != 0);
        }
        let malay_family = id + ms;
        // Which of the two, once a post reads as Indonesian or Malay.
        let malay_or_indonesian = if ms > 0 && ms * 2 >= id { Lang::Ms } else { Lang::Id };
        let guess = if en >= 2 && en >= 3 * malay_family {
            Some(Lang::En)
        } else if malay_family >= 2 && malay_family >= 3 * en {
            Some(malay_or_indonesian)
        } else {
            None
        };
        let lang = match guess {
            Some(l) => l,
            None => match self.detector.detect(original) {
                // An unsure trigram guess does not overrule the function words: it goes
                // with the side they lean to, and with none of ours, it is another language
                // ("Great service" is not Indonesian for one short trigram profile).
                Some(info) if info.confidence() < 0.5 => match en.cmp(&malay_family) {
                    std::cmp::Ordering::Greater => Lang::En,
                    std::cmp::Ordering::Less => malay_or_indonesian,
                    std::cmp::Ordering::Equal => Lang::Und,
                },
                Some(info) if info.lang() == W::Eng => Lang::En,
                Some(_) => malay_or_indonesian,
                None => Lang::Und,
            },
        };
        self.configured(lang)
    }

    fn configured(&self, lang: Lang) -> Lang {
        if self.languages.contains(&lang) {
            lang
        } else if lang == Lang::Ms && self.languages.contains(&Lang::Id) {
            Lang::Id
        } else {
            Lang::Und
        }
    }
}

/// English function words, and two words of hospital feedback that English posts use
/// far more than Indonesian ones ("staff", "service").
const ENGLISH: &[&str] = &[
    "the", "and", "is", "was", "are", "were", "of", "to", "in", "for", "with", "my", "i", "it",
    "this", "that", "not", "no", "at", "they", "me", "have", "has", "been", "be", "you", "your",
    "we", "our", "on", "very", "but", "so", "from", "an", "a", "their", "there", "all", "what",
    "would", "could", "will", "can't", "didn't", "don't", "nobody", "after", "hours",
    "just", "too", "up", "i'm", "it's", "that's", "as", "by", "really", "about", "much", "now",
    "when", "some", "more", "had", "do", "am", "if", "or", "out", "get", "got", "like", "he",
    "she", "his", "her", "them", "who", "how", "why", "staff", "service",
];

const INDONESIAN: &[&str] = &[
    "yang", "tidak", "dan", "di", "ini", "itu", "dengan", "untuk", "saya", "ke", "dari", "ada",
    "karena", "sudah", "tapi", "juga", "sangat", "banget", "belum", "lagi", "kami", "kita",
    "mereka", "dia", "nya", "apa", "bisa", "harus", "sama", "jam", "lama", "pelayanan",
    "dokter", "rumah", "sakit", "pasien", "kalau", "masih", "orang", "buat", "aja", "saja",
    "bagaimana", "mengapa", "sekali", "enak", "tempat", "makanan", "adalah", "akan", "jadi",
    "gue", "aku", "pak", "sih", "memang", "ingin", "pada", "oleh", "dalam", "jika", "malah",
    "kayak", "sekarang", "nanti", "baru", "mau", "kok", "dong", "deh", "nih", "terima", "kasih",
];

/// Words common in Malay and rare in Indonesian.
const MALAY: &[&str] = &[
    "awak", "kerana", "sahaja", "boleh", "doktor", "ubat", "wad", "bil", "kakitangan",
    "hospital", "tak", "pun", "lah", "sangat", "teruk", "kecewa", "selepas", "semasa", "mahu",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(s: &str) -> Lang {
        LanguageDetector::new(&[Lang::En, Lang::Id, Lang::Ms]).detect(&Text::new(s), s)
    }

    #[test]
    fn function_words_decide_common_posts() {
        assert_eq!(detect("Waited 5 hours at the ER and nobody came"), Lang::En);
        assert_eq!(detect("Pelayanan di IGD lama banget, sudah 3 jam belum dipanggil"), Lang::Id);
        assert_eq!(detect("Doktor kat wad ni teruk sangat, saya kecewa kerana tak boleh jumpa"), Lang::Ms);
    }

    #[test]
    fn whatlang_decides_the_rest() {
        assert_eq!(detect("Absolutely wonderful nurses, brilliant care throughout"), Lang::En);
        assert_eq!(detect("Perawatnya ramah, kamarnya bersih, makanannya enak"), Lang::Id);
    }

    #[test]
    fn an_unsure_trigram_guess_goes_with_the_function_words() {
        // Too short for trigrams to be sure; one English function word decides.
        assert_eq!(detect("It's perfect."), Lang::En);
        assert_eq!(detect("Great service"), Lang::En);
        assert_eq!(detect("Mantap pak"), Lang::Id);
    }

    #[test]
    fn unconfigured_languages_are_undetermined() {
        let only_en = LanguageDetector::new(&[Lang::En]);
        let s = "Pelayanan di IGD lama banget, sudah 3 jam belum dipanggil";
        assert_eq!(only_en.detect(&Text::new(s), s), Lang::Und);
        let s = "Das Krankenhaus war schrecklich und die Ärzte unfreundlich";
        assert_eq!(detect(s), Lang::Und);
    }
}
