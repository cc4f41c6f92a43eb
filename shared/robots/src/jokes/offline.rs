//! The offline joke writer: what answers when no LLM is configured, so the product and
//! its tests work with no network and no key.
//!
//! Jokes are assembled from templates (an opener addressed to the customer, a setup
//! about one observation, a punchline), chosen by a seeded generator: the same seed and
//! request give the same joke, different requests give different ones. The text is
//! released a word at a time at a configurable pace, so streaming robots behave like
//! a model typing (and benchmarks measure the delta path, not a single burst).

use std::time::Duration;

use futures::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

use crate::llm::TextStream;

const OPENERS: &[&str] = &[
    "Hey {name}, here is one for you.",
    "{name}, a quick one while we look at this.",
    "Good news, {name}: the form is fixable. Better news: a joke.",
    "{name}, our engineers asked me to lighten the mood.",
    "While the logs load, {name}, consider this.",
];

const SETUPS: &[&str] = &[
    "Why did the form bring a ladder? Because {observation}.",
    "I told my form about {observation}. It gave me a blank field in reply.",
    "What do you call a form where {observation}? A submission to fate.",
    "My dad looked at {observation} and said: \"that field is really going places\".",
    "They say {observation}. I say the checkbox is just shy.",
    "A field walks into a bar. The bartender says: \"{observation}? We do not serve logic here.\"",
];

const PUNCHLINES: &[&str] = &[
    "I would tell you a calculation joke, but it does not add up.",
    "Don't worry, we will get it submitted, one required field at a time.",
    "At least the submit button is consistent: it never overpromises.",
    "The dropdown says it has options. So do we.",
    "Hidden fields are just fields with excellent privacy settings.",
];

/// Observations to joke about when neither the issue nor the request gives any.
const GENERIC_OBSERVATIONS: &[&str] = &[
    "the submit button was playing hard to get",
    "a hidden field was hiding from everyone, including us",
    "the logic rules were arguing with each other",
];

/// How the offline writer behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfflineSettings {
    /// Mixed into every joke's seed; change it for a different but still repeatable set.
    pub seed: u64,
    /// Pause between words when streaming (0 = all at once).
    pub pace: Duration,
}

impl Default for OfflineSettings {
    fn default() -> Self {
        OfflineSettings {
            seed: 7,
            pace: Duration::from_millis(25),
        }
    }
}

/// Writes one joke; the same inputs and seed always give the same text.
pub fn write_joke(
    seed: u64,
    flavour: &str,
    name: &str,
    observations: &[String],
    request: &str,
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(seed.to_le_bytes());
    for part in [flavour, name, request] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    for o in observations {
        hasher.update(o.as_bytes());
        hasher.update([0]);
    }
    let digest = hasher.finalize();
    let mut seed_bytes = [0u8; 32];
    seed_bytes.copy_from_slice(&digest);
    let mut rng = StdRng::from_seed(seed_bytes);
    let observation = if observations.is_empty() {
        GENERIC_OBSERVATIONS[rng.gen_range(0..GENERIC_OBSERVATIONS.len())].to_string()
    } else {
        lowercase_first(observations[rng.gen_range(0..observations.len())].trim_end_matches('.'))
    };
    let opener = OPENERS[rng.gen_range(0..OPENERS.len())].replace("{name}", name);
    let setup = SETUPS[rng.gen_range(0..SETUPS.len())].replace("{observation}", &observation);
    let punchline = PUNCHLINES[rng.gen_range(0..PUNCHLINES.len())];
    format!("{opener} {setup} {punchline}")
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `text` a word at a time, `pace` apart.
pub fn type_out(text: String, pace: Duration) -> TextStream {
    let words: Vec<String> = text.split_inclusive(' ').map(str::to_string).collect();
    futures::stream::iter(words)
        .then(move |w| async move {
            if !pace.is_zero() {
                tokio::time::sleep(pace).await;
            }
            Ok(w)
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_request_gives_the_same_joke_and_others_differ() {
        let obs = vec!["Field 12 is hidden by a rule that never fires".to_string()];
        let a = write_joke(7, "docs", "Dana", &obs, "cheer her up");
        assert_eq!(a, write_joke(7, "docs", "Dana", &obs, "cheer her up"));
        assert!(a.contains("Dana"), "addressed to the customer: {a}");
        assert!(
            a.contains("field 12 is hidden"),
            "uses the observation: {a}"
        );
        let others: std::collections::HashSet<String> = (0..20)
            .map(|i| write_joke(7, "docs", "Dana", &obs, &format!("request {i}")))
            .collect();
        assert!(others.len() > 5, "varied: {others:?}");
        assert_ne!(
            a,
            write_joke(8, "docs", "Dana", &obs, "cheer her up"),
            "the seed matters"
        );
    }
}
