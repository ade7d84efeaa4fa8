//! How a message looks rather than what it says: the style signals a sentence encoder cannot
//! see (capitals, `!!!`, `???`, scare quotes), features of the escalation scorer.

/// Number of [`style`] signals.
pub const STYLE: usize = 5;

/// How a message looks rather than what it says, each in [0, 1]: the share of its words of three
/// letters or more written in capitals, whether two or more are, exclamation marks (up to five),
/// whether a run of two or more `?`/`？` occurs, and scare quotes (the 'unlimited' plan).
pub fn style(text: &str) -> [f32; STYLE] {
    let words: Vec<&str> = text
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 3)
        .collect();
    let shouted = words
        .iter()
        .filter(|w| w.chars().all(|c| c.is_ascii_uppercase()))
        .count();
    let share = if words.is_empty() {
        0.0
    } else {
        shouted as f32 / words.len() as f32
    };
    let exclamations = text.chars().filter(|c| matches!(c, '!' | '！')).count();
    let questions = ["??", "？？", "?？", "？?"]
        .iter()
        .any(|q| text.contains(q));
    [
        share,
        f32::from(u8::from(shouted >= 2)),
        exclamations.min(5) as f32 / 5.0,
        f32::from(u8::from(questions)),
        f32::from(u8::from(scare_quotes(text))),
    ]
}

/// A word opened by a quote mark after a space: `the 'unlimited' plan`, `“fast” fibre`.
fn scare_quotes(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(3).any(|w| {
        w[0].is_whitespace()
            && matches!(w[1], '\'' | '"' | '“' | '‘' | '「')
            && w[2].is_alphanumeric()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capitals_count_only_as_whole_words() {
        let [share, several, _, _, _] = style("WHY IS MY BILL SO HIGH");
        assert!(share > 0.9 && several == 1.0);
        let [share, several, _, _, _] = style("how do I set up the APN for my new phone");
        assert!(share < 0.2 && several == 0.0, "one acronym is not shouting");
    }
}
