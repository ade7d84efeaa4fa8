//! How the dialogue's word-list rules ([`opener`](super::opener), [`feedback`](super::feedback))
//! read a short message: its Latin words (apostrophes kept, so "didn't" is one word) and its
//! Chinese characters, from which known pieces are taken out greedily (Chinese has no spaces).

use crate::nlu::features::is_cjk;

/// The runs of letters, digits and apostrophes in `text`, Chinese characters left out.
pub fn latin_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'') || is_cjk(c))
        .filter(|w| !w.is_empty())
}

/// The Chinese characters of `text`, in order, everything else left out.
pub fn chinese(text: &str) -> String {
    text.chars().filter(|c| is_cjk(*c)).collect()
}

/// The characters of `text` left once `pieces` (longest first) are taken out, read greedily
/// from the start.
pub fn without_pieces(mut rest: &str, pieces: &[&str]) -> String {
    let mut kept = String::new();
    while let Some(first) = rest.chars().next() {
        match pieces.iter().find(|p| rest.starts_with(*p)) {
            Some(piece) => rest = &rest[piece.len()..],
            None => {
                kept.push(first);
                rest = &rest[first.len_utf8()..];
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_words_keep_apostrophes_and_leave_chinese_out() {
        let words: Vec<&str> = latin_words("No, that's 5G网络 ok").collect();
        assert_eq!(words, ["No", "that's", "5G", "ok"]);
        assert_eq!(chinese("No, that's 5G网络 ok"), "网络");
    }

    #[test]
    fn known_pieces_are_taken_out_longest_first() {
        assert_eq!(
            without_pieces("帮助我看看账单", &["帮助", "帮", "我"]),
            "看看账单"
        );
    }
}
