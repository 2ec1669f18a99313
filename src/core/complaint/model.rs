//! The complaint model: logistic regression over the detector's named features, kept
//! as a text file of `name weight` lines so a person can read why a post scored as it
//! did, and retrained by [`train`](super::train) when the lexicon or the data change.

use std::collections::HashMap;
use std::fmt::Write as _;

/// The model compiled into the binary.
pub const BUILTIN: &str = include_str!("../../../lexicons/complaints/model.txt");

#[derive(Debug, Clone, PartialEq)]
pub struct LinearModel {
    /// Weights by feature name; features without a weight count zero.
    pub weights: Vec<(String, f32)>,
    /// A post is a complaint when its probability reaches this.
    pub threshold: f32,
}

impl Default for LinearModel {
    /// No weights: every feature counts zero.
    fn default() -> LinearModel {
        LinearModel { weights: Vec::new(), threshold: 0.5 }
    }
}

impl LinearModel {
    /// Reads `threshold T` and `name weight` lines; `#` starts a comment.
    pub fn parse(src: &str) -> anyhow::Result<LinearModel> {
        let mut weights = Vec::new();
        let mut threshold = 0.5;
        for (i, line) in src.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut parts = line.split_whitespace();
            let (Some(name), Some(value), None) = (parts.next(), parts.next(), parts.next()) else {
                anyhow::bail!("complaint model line {}: expected `name weight`, got \"{line}\"", i + 1);
            };
            let value: f32 = value
                .parse()
                .map_err(|_| anyhow::anyhow!("complaint model line {}: \"{value}\" is not a number", i + 1))?;
            if !value.is_finite() {
                anyhow::bail!("complaint model line {}: weight must be finite", i + 1);
            }
            if name == "threshold" {
                threshold = value;
            } else {
                weights.push((name.to_string(), value));
            }
        }
        Ok(LinearModel { weights, threshold })
    }

    /// Reads a model file (`hearken train --out`), naming the file in every error.
    pub fn load(path: &std::path::Path) -> anyhow::Result<LinearModel> {
        let src = std::fs::read_to_string(path).map_err(|e| {
            anyhow::anyhow!("cannot read the complaint model {}: {e}; write one with `hearken train --out FILE`", path.display())
        })?;
        LinearModel::parse(&src).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    pub fn to_text(&self, header: &str) -> String {
        let mut out = String::new();
        for line in header.lines() {
            let _ = writeln!(out, "# {line}");
        }
        let _ = writeln!(out, "threshold {:.3}", self.threshold);
        for (name, w) in &self.weights {
            let _ = writeln!(out, "{name} {w:.4}");
        }
        out
    }

    /// Weights aligned with `names`: the detector looks them up once, not per post.
    pub fn aligned(&self, names: &[String]) -> Vec<f32> {
        let map: HashMap<&str, f32> = self.weights.iter().map(|(n, w)| (n.as_str(), *w)).collect();
        names.iter().map(|n| map.get(n.as_str()).copied().unwrap_or(0.0)).collect()
    }
}

pub fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// One training example: sparse features (index, value) and its label.
pub type Example = (Vec<(u32, f32)>, bool);

/// Fits L2-regularised logistic regression by full-batch gradient descent with Adam,
/// then picks the threshold that maximises macro-F1 on the training examples. `l2`
/// gives each feature's regularisation (the bias, feature 0, should have none).
/// Deterministic: same examples, same model.
pub fn fit(examples: &[Example], names: &[String], l2: &[f32], epochs: usize) -> LinearModel {
    fit_from(examples, names, l2, &vec![0.0; names.len()], epochs)
}

/// [`fit`] starting from the weights `prior` (aligned with `names`) and regularised
/// toward them, L2 on `w - prior`: with a few hundred examples a hospital can move the
/// weights its posts speak to, and the rest stay as the large training set left them.
pub fn fit_from(examples: &[Example], names: &[String], l2: &[f32], prior: &[f32], epochs: usize) -> LinearModel {
    let n = names.len();
    assert_eq!(prior.len(), n, "prior weights must align with the feature names");
    let mut w = prior.to_vec();
    let (mut m, mut v) = (vec![0.0f32; n], vec![0.0f32; n]);
    let (b1, b2, lr, eps) = (0.9f32, 0.999f32, 0.05f32, 1e-8f32);
    let count = examples.len().max(1) as f32;
    let mut grad = vec![0.0f32; n];
    for t in 1..=epochs {
        grad.iter_mut().for_each(|g| *g = 0.0);
        for (x, y) in examples {
            let z: f32 = x.iter().map(|&(i, val)| w[i as usize] * val).sum();
            let err = sigmoid(z) - if *y { 1.0 } else { 0.0 };
            for &(i, val) in x {
                grad[i as usize] += err * val;
            }
        }
        for i in 0..n {
            let g = grad[i] / count + l2[i] * (w[i] - prior[i]);
            m[i] = b1 * m[i] + (1.0 - b1) * g;
            v[i] = b2 * v[i] + (1.0 - b2) * g * g;
            let mh = m[i] / (1.0 - b1.powi(t as i32));
            let vh = v[i] / (1.0 - b2.powi(t as i32));
            w[i] -= lr * mh / (vh.sqrt() + eps);
        }
    }
    let probs: Vec<(f32, bool)> = examples
        .iter()
        .map(|(x, y)| (sigmoid(x.iter().map(|&(i, val)| w[i as usize] * val).sum()), *y))
        .collect();
    let by_threshold: Vec<(f32, f32)> = (10..=90)
        .map(|step| {
            let th = step as f32 / 100.0;
            (th, macro_f1(probs.iter().map(|&(p, y)| (p >= th, y))))
        })
        .collect();
    // Of the thresholds that score best, the middle one: a few hundred examples (as
    // `hearken train` has) often separate equally well over a wide range, and its lowest
    // end would flag far more posts than the examples asked for.
    let best = by_threshold.iter().map(|&(_, f)| f).fold(f32::MIN, f32::max);
    let ties: Vec<f32> = by_threshold.iter().filter(|&&(_, f)| f >= best - 1e-6).map(|&(th, _)| th).collect();
    let threshold = ties[ties.len() / 2];
    let weights = names.iter().cloned().zip(w).filter(|(_, w)| w.abs() >= 1e-4).collect();
    LinearModel { weights, threshold }
}

/// Macro-F1 of a binary decision over (predicted, gold) pairs.
pub fn macro_f1(pairs: impl Iterator<Item = (bool, bool)>) -> f32 {
    let (mut tp, mut fp, mut fneg, mut tn) = (0f32, 0f32, 0f32, 0f32);
    for (p, g) in pairs {
        match (p, g) {
            (true, true) => tp += 1.0,
            (true, false) => fp += 1.0,
            (false, true) => fneg += 1.0,
            (false, false) => tn += 1.0,
        }
    }
    let f = |tp: f32, fp: f32, fneg: f32| if tp == 0.0 { 0.0 } else { 2.0 * tp / (2.0 * tp + fp + fneg) };
    (f(tp, fp, fneg) + f(tn, fneg, fp)) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_the_same_model() {
        let m = LinearModel::parse("# c\nthreshold 0.4\nbias -1.5\ncue:still 2 # trailing\n").unwrap();
        assert_eq!(m.threshold, 0.4);
        assert_eq!(m.weights, [("bias".to_string(), -1.5), ("cue:still".to_string(), 2.0)]);
        assert_eq!(LinearModel::parse(&m.to_text("x")).unwrap(), m);
        assert!(LinearModel::parse("bias one").is_err());
        assert!(LinearModel::parse("bias 1 2").is_err());
        let names = ["cue:still".to_string(), "cue:none".to_string()];
        assert_eq!(m.aligned(&names), [2.0, 0.0]);
    }

    #[test]
    fn fit_learns_a_separable_feature() {
        let names: Vec<String> = ["bias", "good_sign", "noise"].iter().map(|s| s.to_string()).collect();
        let mut ex = Vec::new();
        for i in 0..200 {
            let pos = i % 2 == 0;
            let mut x = vec![(0u32, 1.0f32), (2, (i % 3) as f32)];
            if pos {
                x.push((1, 1.0));
            }
            ex.push((x, pos));
        }
        let m = fit(&ex, &names, &[0.0, 0.001, 0.001], 300);
        let w = m.aligned(&names);
        assert!(w[1] > 2.0, "{w:?}");
        assert!(w[2].abs() < w[1] / 4.0, "{w:?}");
        assert!(macro_f1(ex.iter().map(|(x, y)| {
            (sigmoid(x.iter().map(|&(i, v)| w[i as usize] * v).sum()) >= m.threshold, *y)
        })) > 0.99);
    }

    #[test]
    fn fit_from_a_prior_moves_only_what_the_examples_speak_to() {
        let names: Vec<String> = ["bias", "seen", "unseen", "also_unseen"].iter().map(|s| s.to_string()).collect();
        let prior = [-1.0f32, 0.5, 2.0, -0.75];
        // Only the bias and `seen` occur; `seen` marks every positive.
        let ex: Vec<Example> = (0..40).map(|i| if i % 2 == 0 { (vec![(0, 1.0), (1, 1.0)], true) } else { (vec![(0, 1.0)], false) }).collect();
        let m = fit_from(&ex, &names, &[0.0, 0.01, 0.01, 0.01], &prior, 300);
        let w = m.aligned(&names);
        assert_eq!(&w[2..], &prior[2..], "features no example has keep their prior weight exactly");
        assert!(w[1] > prior[1] + 1.0, "the feature the examples speak to moves: {w:?}");
        // No examples at all: nothing pulls the weights away from the prior.
        let still = fit_from(&[], &names, &[0.0, 0.01, 0.01, 0.01], &prior, 300);
        assert_eq!(still.aligned(&names), prior);
    }
}
