//! Adapting a complaint model to one hospital's labelled posts (`hearken train`).
//!
//! A hospital has hundreds of examples, not the thousands the built-in model was fitted
//! on, so the fit starts from the base model and is pulled back toward it: a weight moves
//! only as far as the hospital's posts argue for. Words the base model does not know (a
//! local phrase, a ward's name) start at zero and are held back as [`train`](super::train)
//! holds words. Five-fold cross-validation shows whether the adaptation helps on posts it
//! was not fitted on.

use super::model::{self, Example, LinearModel};
use super::{ensure_both_classes, featurize_with, EPOCHS, L2_WORDS, WORD_MIN_COUNT, WORD_PAIRS};

/// Pull of each feature the base model weighs back toward its base weight: twenty times
/// the pull toward zero of a new word, so a few hundred posts move the base weights only
/// where they clearly disagree with them.
const L2_TOWARD_BASE: f32 = 0.02;
/// Folds of the cross-validation.
const FOLDS: usize = 5;

/// How a model decides on labelled posts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    pub macro_f1: f32,
    /// Share of the complaints it finds.
    pub recall: f32,
}

impl Scores {
    fn of(pairs: &[(bool, bool)]) -> Scores {
        let complaints = pairs.iter().filter(|(_, gold)| *gold).count();
        let found = pairs.iter().filter(|(p, gold)| *p && *gold).count();
        Scores {
            macro_f1: model::macro_f1(pairs.iter().copied()),
            recall: if complaints == 0 { 0.0 } else { found as f32 / complaints as f32 },
        }
    }
}

/// The adapted model and the cross-validated scores of the base and the adapted model
/// on the same examples.
pub struct Adapted {
    pub model: LinearModel,
    pub base: Scores,
    pub adapted: Scores,
}

/// Fits `base` to labelled posts (text, is it a complaint). Deterministic: the folds are
/// the examples' positions modulo five.
pub fn adapt(base: &LinearModel, examples: impl Iterator<Item = (String, bool)>) -> anyhow::Result<Adapted> {
    let (detector, featurized) = featurize_with(examples, base, WORD_MIN_COUNT, WORD_PAIRS, usize::MAX)?;
    ensure_both_classes(&featurized)?;
    let names = detector.feature_names();
    let prior = base.aligned(names);
    // Everything the base model weighs, the bias too (its base rate of complaints stands
    // on the same thousands of posts), is held toward its base weight; a new word starts
    // at zero and is held as `train` holds words. Words come after the dense features.
    let l2: Vec<f32> =
        (0..names.len()).map(|i| if i < detector.dense || prior[i] != 0.0 { L2_TOWARD_BASE } else { L2_WORDS }).collect();
    let fit = |train: &[Example]| model::fit_from(train, names, &l2, &prior, EPOCHS);

    let decide = |m: &LinearModel, weights: &[f32], x: &[(u32, f32)]| {
        model::sigmoid(x.iter().map(|&(i, v)| weights[i as usize] * v).sum()) >= m.threshold
    };
    let mut base_pairs = Vec::with_capacity(featurized.len());
    let mut adapted_pairs = Vec::with_capacity(featurized.len());
    for k in 0..FOLDS {
        let held_out = |i: usize| i % FOLDS == k;
        let train: Vec<Example> =
            featurized.iter().enumerate().filter(|(i, _)| !held_out(*i)).map(|(_, e)| e.clone()).collect();
        let m = fit(&train);
        let w = m.aligned(names);
        for (_, (x, y)) in featurized.iter().enumerate().filter(|(i, _)| held_out(*i)) {
            base_pairs.push((decide(base, &prior, x), *y));
            adapted_pairs.push((decide(&m, &w, x), *y));
        }
    }
    Ok(Adapted { model: fit(&featurized), base: Scores::of(&base_pairs), adapted: Scores::of(&adapted_pairs) })
}
