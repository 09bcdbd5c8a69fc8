//! Text preparation: the single function that turns a product's raw fields into model text.
//!
//! Training and serving both call [`prepare_text`]; the artifact records [`PREPARATION_VERSION`] and loading
//! refuses a model prepared differently, so the two can never drift apart.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Bump whenever the output of [`prepare_text`] changes for any input.
pub const PREPARATION_VERSION: u32 = 1;

/// Model text of one product: designation and description, each prepared, joined by a space.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prepared {
    pub text: String,
    /// Byte length of the designation's part of `text` (the title gets features of its own).
    pub title_end: usize,
}

impl From<&str> for Prepared {
    /// Already prepared text with no title part (tests and tools).
    fn from(text: &str) -> Self {
        Self {
            text: text.to_string(),
            title_end: 0,
        }
    }
}

/// Prepares both fields and keeps where the designation ends.
pub fn prepare(designation: &str, description: &str) -> Prepared {
    let mut text = prepare_field(designation);
    let title_end = text.len();
    let description = prepare_field(description);
    if !text.is_empty() && !description.is_empty() {
        text.push(' ');
    }
    text.push_str(&description);
    Prepared { text, title_end }
}

/// Designation and description combined: [`prepare`]'s text.
pub fn prepare_text(designation: &str, description: &str) -> String {
    prepare(designation, description).text
}

/// One field: HTML decoded and stripped, NFKC, lower-cased, accents folded, whitespace collapsed.
pub fn prepare_field(raw: &str) -> String {
    // Descriptions are often double-encoded (`&amp;eacute;`): decode, strip the tags, decode once more.
    let decoded = html_escape::decode_html_entities(raw);
    let stripped = if decoded.contains('<') {
        strip_tags(&decoded)
    } else {
        decoded.into_owned()
    };
    let decoded = html_escape::decode_html_entities(&stripped);
    let mut out = String::with_capacity(decoded.len());
    let mut pending_space = false;
    let mut push = |c: char, out: &mut String| {
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
            return;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        match c {
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            'ø' => out.push('o'),
            'đ' => out.push('d'),
            'ł' => out.push('l'),
            _ => out.push(c),
        }
    };
    for c in decoded.chars() {
        if c.is_ascii() {
            // Compatibility decomposition leaves ASCII unchanged: the common case skips the Unicode tables.
            push(c.to_ascii_lowercase(), &mut out);
        } else {
            // NFKD, lower-case, drop combining marks: the accent-folded NFKC text without recomposing it first.
            decompose_compatible(c, |d| {
                d.to_lowercase()
                    .flat_map(|l| l.nfd())
                    .filter(|l| !is_combining_mark(*l))
                    .for_each(|l| push(l, &mut out));
            });
        }
    }
    out
}

/// A description as people read it: entities decoded (twice: descriptions are often double-encoded), tags
/// removed, whitespace collapsed; case and accents kept. For display (escape it on output), not for features.
pub fn readable_text(raw: &str) -> String {
    let decoded = html_escape::decode_html_entities(raw);
    let stripped = strip_tags(&decoded);
    html_escape::decode_html_entities(&stripped)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Replaces every HTML tag (`<p>`, `</b>`, `<br/>`, `<!-- -->`) by a space; a lone `<` stays text.
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let opens_tag = c == '<'
            && text[i + 1..]
                .chars()
                .next()
                .is_some_and(|n| n.is_ascii_alphabetic() || n == '/' || n == '!');
        if opens_tag && let Some(end) = text[i..].find('>') {
            out.push(' ');
            while chars.peek().is_some_and(|&(j, _)| j <= i + end) {
                chars.next();
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// Words of prepared text: maximal runs of alphanumeric characters.
pub(crate) fn words(prepared: &str) -> impl Iterator<Item = &str> {
    prepared
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_html_and_decodes_entities() {
        let text = prepare_text(
            "Château &amp; Cie",
            "<p>Très <b>BEAU</b> vélo&nbsp;!</p><br/>",
        );
        assert_eq!(text, "chateau & cie tres beau velo !");
    }

    #[test]
    fn readable_text_keeps_case_and_accents_and_drops_the_markup() {
        assert_eq!(
            readable_text(
                "<p>Très <b>BEAU</b> vélo&nbsp;!</p><br/>caf&amp;eacute; &lt;script&gt; a < b"
            ),
            "Très BEAU vélo ! café a < b"
        );
    }

    #[test]
    fn decodes_double_encoded_entities() {
        assert_eq!(prepare_text("caf&amp;eacute;", ""), "cafe");
    }

    #[test]
    fn nfkc_ligatures_and_case() {
        assert_eq!(prepare_text("ﬁlm ŒUVRE Ｔｅｓｔ", ""), "film oeuvre test");
    }

    #[test]
    fn keeps_lone_angle_brackets_and_collapses_whitespace() {
        assert_eq!(prepare_text("a < b", "\n\t  c  "), "a < b c");
    }

    #[test]
    fn prepared_keeps_the_title_apart() {
        let p = prepare("  <b>Vélo</b> ", "Rouge");
        assert_eq!(
            (p.text.as_str(), &p.text[..p.title_end]),
            ("velo rouge", "velo")
        );
        assert_eq!(prepare("", "Rouge").text, "rouge");
        assert_eq!(prepare("Vélo", "").text, "velo");
    }

    #[test]
    fn empty_fields_give_empty_text() {
        assert_eq!(prepare_text("", ""), "");
        assert_eq!(prepare_text("<p></p>", "   "), "");
    }

    #[test]
    fn words_split_on_punctuation() {
        let w: Vec<_> = words("jeu-video x2, 3d").collect();
        assert_eq!(w, ["jeu", "video", "x2", "3d"]);
    }
}
